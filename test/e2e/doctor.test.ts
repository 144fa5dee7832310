/**
 * `npm run doctor` against the local stack of the e2e project (started like `npm start`, with the
 * Omisell stand-in): after a cron tick every check passes, the self-test push is stored once and
 * recognised as a duplicate, and the exit status is 0; with Omisell refusing the credentials the
 * `omisell` check fails with its fix and the exit status is 1.
 */
import { spawn } from "node:child_process";
import { afterEach, describe, expect, inject, it } from "vitest";
import { E2E_VARS } from "./config";

const workerUrl = inject("workerUrl");
const standinUrl = inject("standinUrl");
const ADMIN = { authorization: `Bearer ${E2E_VARS.ADMIN_API_TOKENS}` };

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs `node scripts/doctor.ts` (the project's Node 22) with `args`, and nothing from the environment's secrets. */
function runDoctor(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["scripts/doctor.ts", ...args], {
      env: { PATH: process.env.PATH ?? "", NODE_NO_WARNINGS: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const DOCTOR_ARGS = [
  "--url",
  workerUrl,
  "--admin-token",
  E2E_VARS.ADMIN_API_TOKENS,
  "--push-secret",
  E2E_VARS.OMISELL_PUSH_SECRET,
];

async function setKnobs(knobs: Record<string, unknown>) {
  const res = await fetch(`${standinUrl}/__standin/knobs`, { method: "POST", body: JSON.stringify(knobs) });
  expect(res.status).toBe(200);
}

afterEach(async () => {
  await fetch(`${standinUrl}/__standin/reset`, { method: "POST", body: JSON.stringify({ knobs: true }) });
});

describe("the local scheduled trigger of wrangler 4.164", () => {
  it.each([
    "/cdn-cgi/local/scheduled",
    // wrangler's dev proxy rewrites the older /cdn-cgi/handler/* paths to /cdn-cgi/local/*.
    "/cdn-cgi/handler/scheduled",
    // Only because the stack runs `wrangler dev --test-scheduled`, as `npm start` does.
    "/__scheduled",
  ])("runs the cron at %s, and the doctor's cron check passes", async (path) => {
    const res = await fetch(`${workerUrl}${path}?cron=${encodeURIComponent("* * * * *")}`);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(text).not.toContain("not_found");
    const report = (await (await fetch(`${workerUrl}/api/doctor`, { headers: ADMIN })).json()) as {
      checks: { name: string; ok: boolean; detail: string }[];
    };
    expect(report.checks.find((c) => c.name === "cron")).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/last ran \d+ s ago/),
    });
    console.log(`${path}: ${res.status} ${text.slice(0, 60)}`);
  });
});

describe("npm run doctor against the local stack", () => {
  it("passes every check and both self-test lines, and exits 0", async () => {
    await fetch(`${workerUrl}/cdn-cgi/local/scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.text());
    const run = await runDoctor(DOCTOR_ARGS);
    console.log(run.stdout);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toBe(`omisell-push doctor: ${workerUrl}`);
    for (const name of ["config", "d1", "queues", "durable_objects", "omisell", "cron", "destinations", "pushes"]) {
      expect(
        lines.some((line) => line.startsWith(`✓ ${name} — `)),
        name,
      ).toBe(true);
    }
    expect(lines.some((line) => line.startsWith("✓ selftest push stored — accepted as event "))).toBe(true);
    expect(
      lines.some((line) => line.startsWith("✓ selftest duplicate recognised — the resend was answered duplicate of ")),
    ).toBe(true);
    expect(lines.at(-1)).toBe("all 10 checks pass");
    expect(run.code).toBe(0);
    for (const secret of [E2E_VARS.ADMIN_API_TOKENS, E2E_VARS.OMISELL_PUSH_SECRET, E2E_VARS.OMISELL_ACCOUNT_KEY]) {
      expect(run.stdout + run.stderr).not.toContain(secret);
    }
  });

  it("stores the self-test push as a selftest that is never followed up", async () => {
    const res = await fetch(`${workerUrl}/api/events?event=omisell_push.selftest&limit=5`, { headers: ADMIN });
    const { events } = (await res.json()) as { events: { source: string; status: string; attempts: number }[] };
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(event).toMatchObject({ source: "selftest", status: "skipped", attempts: 0 });
  });

  it("fails the omisell check with its fix and exits 1 when Omisell refuses the credentials", async () => {
    await setKnobs({ accountKey: "not-the-e2e-account-key" });
    const run = await runDoctor(DOCTOR_ARGS);
    console.log(run.stdout);
    const lines = run.stdout.trim().split("\n");
    const at = lines.findIndex((line) => line.startsWith("✗ omisell — credentials refused (HTTP 401"));
    expect(at, run.stdout).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(/^ {4}fix: check OMISELL_ACCOUNT_KEY/);
    expect(lines.at(-1)).toBe("1 of 10 checks failed");
    expect(run.code).toBe(1);
  });
});

/**
 * `npm run doctor` against a fake deployed worker (fixtures/fake-omisell-push.ts), run as npm
 * runs it (`node scripts/doctor.ts`): the checklist, the signed self-test push and its
 * duplicate, and a clear line and exit status 1 for each way it can go wrong.
 */
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { doctorChecks, type FakeOmisellPushOptions, startFakeOmisellPush } from "./fixtures/fake-omisell-push.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const ADMIN_TOKEN = "admin-token-0123456789abcdef";
const PUSH_SECRET = "omisell-push-secret-fedcba";

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers) await close();
  closers = [];
});

async function worker(options: Partial<FakeOmisellPushOptions> = {}) {
  const fake = await startFakeOmisellPush({ adminToken: () => ADMIN_TOKEN, pushSecret: () => PUSH_SECRET, ...options });
  closers.push(fake.close);
  return fake;
}

type Run = { code: number; stdout: string; stderr: string };

function doctor(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, "scripts/doctor.ts"), ...args], {
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("close", (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

describe("npm run doctor", () => {
  it("prints a passing checklist of the worker's checks and exits 0", async () => {
    const fake = await worker();

    const run = await doctor(["--url", fake.url, "--admin-token", ADMIN_TOKEN]);

    expect(run.code).toBe(0);
    expect(run.stdout.trim().split("\n")).toEqual([
      `omisell-push doctor: ${fake.url}`,
      "✓ config — config fine",
      "✓ d1 — d1 fine",
      "✓ queues — queues fine",
      "✓ durable_objects — durable_objects fine",
      "✓ omisell — omisell fine",
      "✓ cron — cron fine",
      "✓ destinations — destinations fine",
      "✓ pushes — pushes fine",
      "all 8 checks pass",
    ]);
    expect(fake.requests.map((r) => `${r.method} ${r.url} ${r.authorization}`)).toEqual([
      `GET /api/doctor Bearer ${ADMIN_TOKEN}`,
    ]);
    expect(fake.pushes).toEqual([]);
  });

  it("prints the fix under a failed check and exits 1", async () => {
    const fake = await worker({
      checks: () =>
        doctorChecks({
          omisell: {
            detail: "credentials refused (401)",
            fix: "check OMISELL_ACCOUNT_KEY: npx wrangler secret put OMISELL_ACCOUNT_KEY",
          },
        }),
    });

    const run = await doctor(["--url", fake.url, "--admin-token", ADMIN_TOKEN]);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "✗ omisell — credentials refused (401)\n    fix: check OMISELL_ACCOUNT_KEY: npx wrangler secret put OMISELL_ACCOUNT_KEY\n",
    );
    expect(run.stdout).toContain("✓ cron — cron fine\n");
    expect(run.stdout).not.toContain("fix: null");
    expect(run.stdout.trim().split("\n").at(-1)).toBe("1 of 8 checks failed");
  });

  it("sends a self-test push signed as Omisell signs, then the same bytes, expecting a duplicate", async () => {
    const fake = await worker();

    const run = await doctor([
      "--url",
      `${fake.url}/webhooks/omisell`,
      "--admin-token",
      ADMIN_TOKEN,
      "--push-secret",
      PUSH_SECRET,
    ]);

    expect(run.code).toBe(0);
    expect(fake.pushes).toHaveLength(2);
    const [first, second] = fake.pushes;
    expect(second?.body).toBe(first?.body);
    const body = JSON.parse(first?.body ?? "{}");
    expect(body).toEqual({
      event: "omisell_push.selftest",
      request_id: expect.stringMatching(/^selftest-/),
      timestamp: expect.any(Number),
    });
    expect(Math.abs(body.timestamp - Date.now() / 1000)).toBeLessThan(60);
    const expected = createHmac("sha256", PUSH_SECRET)
      .update(`${fake.url}/webhooks/omisell|${first?.body}`)
      .digest("hex");
    expect(first?.authorization).toBe(expected);
    expect(run.stdout).toMatch(/✓ selftest push stored — accepted as event 01SELFTEST\w+\n/);
    expect(run.stdout).toMatch(
      /✓ selftest duplicate recognised — the resend was answered duplicate of 01SELFTEST\w+\n/,
    );
    expect(run.stdout).toContain("all 10 checks pass");
  });

  it("signs the self-test over --callback-url when the worker is reached through another URL", async () => {
    const fake = await worker({ callbackUrl: "https://push.example.com/webhooks/omisell" });

    const signedOwnUrl = await doctor(["--url", fake.url, "--admin-token", ADMIN_TOKEN, "--push-secret", PUSH_SECRET]);
    expect(signedOwnUrl.code).toBe(1);

    const run = await doctor([
      ...["--url", fake.url, "--admin-token", ADMIN_TOKEN, "--push-secret", PUSH_SECRET],
      ...["--callback-url", "https://push.example.com/webhooks/omisell"],
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("✓ selftest push stored");
  });

  it("says the push secret does not match when the worker answers the self-test 401", async () => {
    const fake = await worker();

    const run = await doctor(["--url", fake.url, "--admin-token", ADMIN_TOKEN, "--push-secret", "not-the-secret"]);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "✗ selftest push stored — the push secret does not match the worker's OMISELL_PUSH_SECRET (401)\n    fix: ",
    );
    expect(run.stdout).toContain("✗ selftest duplicate recognised — not tried: the first push was not stored");
    expect(run.stdout).not.toContain("not-the-secret");
    expect(fake.pushes).toHaveLength(1);
  });

  it("fails the duplicate check when a resend is stored again", async () => {
    const fake = await worker({ noDedupe: true });

    const run = await doctor(["--url", fake.url, "--admin-token", ADMIN_TOKEN, "--push-secret", PUSH_SECRET]);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /✗ selftest duplicate recognised — the resend was answered Push-Status: accepted, event 01SELFTEST\w+\n/,
    );
  });

  it("takes the admin token and push secret from the environment, keeping them off the command line", async () => {
    const fake = await worker();

    const run = await doctor(["--url", fake.url], {
      ADMIN_API_TOKENS: ` ${ADMIN_TOKEN},older-token`,
      OMISELL_PUSH_SECRET: PUSH_SECRET,
    });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain("all 10 checks pass");
  });

  it("says the admin token was refused, and exits 1", async () => {
    const fake = await worker();

    const run = await doctor(["--url", fake.url, "--admin-token", "wrong-admin-token"]);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `✗ ${fake.url}/api/doctor refused the admin token (401): pass one of the worker's ADMIN_API_TOKENS with --admin-token`,
    );
    expect(run.stdout).not.toContain("wrong-admin-token");
  });

  it("says the worker cannot be reached, and exits 1", async () => {
    const server = createServer();
    await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
    const { port } = server.address() as AddressInfo;
    await new Promise((closed) => server.close(closed));

    const run = await doctor(["--url", `http://127.0.0.1:${port}`, "--admin-token", ADMIN_TOKEN]);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`✗ cannot reach http://127.0.0.1:${port} (ECONNREFUSED): check --url`);
  });

  it("says an answer that is not JSON is not the worker, and exits 1", async () => {
    const fake = await worker({
      doctorAnswer: { status: 200, contentType: "text/html", body: "<html>a parked domain</html>" },
    });

    const run = await doctor(["--url", fake.url, "--admin-token", ADMIN_TOKEN]);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `✗ ${fake.url}/api/doctor answered 200 with something that is not JSON: is --url the worker's address?`,
    );
  });

  it("says a worker without /api/doctor predates the doctor, and exits 1", async () => {
    const fake = await worker({
      doctorAnswer: { status: 404, contentType: "application/json", body: '{"error":"not_found"}' },
    });

    const run = await doctor(["--url", fake.url, "--admin-token", ADMIN_TOKEN]);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain("answered 404: the worker at --url is not omisell-push, or it predates the doctor");
  });

  it("never prints the token or the secret, even when the worker echoes them", async () => {
    const fake = await worker({
      checks: () =>
        doctorChecks({ config: { detail: `token ${ADMIN_TOKEN} and ${PUSH_SECRET}`, fix: `rotate ${ADMIN_TOKEN}` } }),
    });

    const run = await doctor(["--url", fake.url, "--admin-token", ADMIN_TOKEN, "--push-secret", PUSH_SECRET]);

    expect(run.stdout + run.stderr).not.toContain(ADMIN_TOKEN);
    expect(run.stdout + run.stderr).not.toContain(PUSH_SECRET);
    expect(run.stdout).toContain("✗ config — token [hidden] and [hidden]\n    fix: rotate [hidden]");
  });

  it("asks for --url and --admin-token when one is missing (exit 2)", async () => {
    const run = await doctor(["--admin-token", ADMIN_TOKEN]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--url is required");
  });
});

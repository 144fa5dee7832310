/**
 * GET /api/doctor: every check passing against the test worker, and each one failing with the
 * right finding and a fix: a missing secret names the variable, Omisell's 401 is "credentials
 * refused", its host down "unreachable", a migration not applied, a silent cron; a check that
 * fails or hangs never stops the others. Admin only.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runScheduled } from "../src/cron/scheduled";
import { type DoctorReport, runDoctor } from "../src/doctor/report";
import { checkD1 } from "../src/doctor/storage-checks";
import { QUEUE_PROBE } from "../src/queue/probe";
import { recordCronTick } from "../src/store/cron-tick";
import { LATEST_MIGRATION } from "../src/store/doctor-reads";
import { callsOf, newScenario, TEST_FORWARD_SECRET } from "./helpers/forward";
import { fetchWithEnv, samplePush, sendPush, signedRequest } from "./helpers/push";
import { runBatch } from "./helpers/queue";
import { ADMIN_TOKEN, apiGet, BASE, READ_TOKEN } from "./helpers/read-api";
import { REFUSED_CREDENTIAL } from "./helpers/standin-names";
import { TEST_VARS } from "./helpers/test-vars";

const NAMES = ["config", "d1", "queues", "durable_objects", "omisell", "cron", "destinations", "pushes"];
const SECRETS = [
  TEST_VARS.OMISELL_PUSH_SECRET,
  TEST_VARS.READ_API_TOKENS,
  TEST_VARS.ADMIN_API_TOKENS,
  TEST_VARS.OMISELL_ACCOUNT_KEY,
];

afterEach(() => vi.restoreAllMocks());

/** The doctor of a deployment with these vars (and bindings) changed. */
function doctorWith(overrides: Record<string, unknown> = {}, latestMigration?: string): Promise<DoctorReport> {
  return runDoctor({ ...env, ...overrides } as Env, {
    requestUrl: `${BASE}/api/doctor`,
    now: Date.now(),
    latestMigration,
  });
}

function check(report: DoctorReport, name: string) {
  const found = report.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check ${name}`);
  return found;
}

function expectFailed(report: DoctorReport, name: string, detail: RegExp | string) {
  const found = check(report, name);
  expect(found.ok, `${name}: ${found.detail}`).toBe(false);
  expect(found.detail).toMatch(detail);
  expect(found.fix, `${name} has a fix`).toMatch(/\w{3,}/);
  expect(report.ok).toBe(false);
}

async function tickNow() {
  await recordCronTick(env.DB, { tickedAt: Date.now(), scheduledTime: Date.now() });
}

describe("GET /api/doctor", () => {
  it("passes every check on a working deployment, in order, and answers 200", async () => {
    await runScheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env);
    const res = await apiGet("/api/doctor", ADMIN_TOKEN);
    const body = (await res.json()) as DoctorReport;
    expect(body.checks.map((c) => c.name)).toEqual(NAMES);
    for (const c of body.checks) expect(c, c.name).toMatchObject({ ok: true, fix: null });
    expect(res.status).toBe(200);
    expect(body.ok).toBe(true);
    expect(check(body, "pushes").detail).toContain("no push yet: paste the callback URL into the Omisell console");
    expect(check(body, "d1").detail).toContain(LATEST_MIGRATION);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("needs an admin token: 401 without one, 403 for a read token", async () => {
    expect((await apiGet("/api/doctor", null)).status).toBe(401);
    const read = await apiGet("/api/doctor", READ_TOKEN);
    expect(read.status).toBe(403);
    expect(await read.json()).toMatchObject({ error: "forbidden" });
  });

  it("answers 503 with the checks when one fails, and never shows a secret", async () => {
    const res = await fetchWithEnv(
      new Request(`${BASE}/api/doctor`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
      { OMISELL_ACCOUNT_KEY: "" },
    );
    expect(res.status).toBe(503);
    const text = await res.text();
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect((JSON.parse(text) as DoctorReport).checks.map((c) => c.name)).toEqual(NAMES);
  });
});

describe("config", () => {
  it("names a missing secret of the auth mode, and the push secret and tokens", async () => {
    expectFailed(
      await doctorWith({ OMISELL_ACCOUNT_KEY: "" }),
      "config",
      "missing: OMISELL_ACCOUNT_KEY (auth mode account)",
    );
    expectFailed(
      await doctorWith({ OMISELL_AUTH_MODE: "partner" }),
      "config",
      "missing: OMISELL_PARTNER_KEY, OMISELL_COUNTRY (auth mode partner)",
    );
    expectFailed(
      await doctorWith({ OMISELL_PUSH_SECRET: "", READ_API_TOKENS: "" }),
      "config",
      "missing: OMISELL_PUSH_SECRET, READ_API_TOKENS",
    );
  });

  it("names a setting whose value cannot be used, never the value", async () => {
    const report = await doctorWith({ RETENTION_DAYS: "ninety", SESSION_SECRET: "short-secret" });
    expectFailed(report, "config", /unusable: .*RETENTION_DAYS/);
    expect(check(report, "config").detail).toContain("SESSION_SECRET");
    expect(JSON.stringify(report)).not.toContain("short-secret");
  });

  it("fails a deployed worker whose OMISELL_API_BASE is the local stand-in", async () => {
    expectFailed(await doctorWith({ OMISELL_API_BASE: "http://127.0.0.1:8788" }), "config", /local address/);
    const local = await runDoctor({ ...env, OMISELL_API_BASE: "http://127.0.0.1:8788" } as Env, {
      requestUrl: "http://127.0.0.1:8787/api/doctor",
      now: Date.now(),
    });
    expect(check(local, "config").ok).toBe(true);
  });
});

describe("d1", () => {
  it("knows the newest migration file bundled with the worker", () => {
    const newest = env.TEST_MIGRATIONS.map((m) => m.name)
      .sort()
      .at(-1);
    expect(LATEST_MIGRATION).toBe(newest);
  });

  it("fails when the latest migration is not applied, naming both", async () => {
    const finding = await checkD1(env.DB, "9999_not_yet.sql");
    expect(finding).toMatchObject({ ok: false, detail: expect.stringContaining("9999_not_yet.sql is not applied") });
    expect(finding.detail).toContain(`the newest applied is ${LATEST_MIGRATION}`);
    expectFailed(await doctorWith({}, "9999_not_yet.sql"), "d1", "not applied");
  });

  it("fails when D1 does not answer, and the other checks still run", async () => {
    const broken = {
      prepare: () => {
        throw new Error("D1_ERROR: database unavailable");
      },
      batch: async () => {
        throw new Error("D1_ERROR: database unavailable");
      },
    };
    const report = await doctorWith({ DB: broken });
    expect(report.checks.map((c) => c.name)).toEqual(NAMES);
    expectFailed(report, "d1", "database unavailable");
    expectFailed(report, "cron", "database unavailable");
    expectFailed(report, "pushes", "database unavailable");
    for (const name of ["config", "queues", "durable_objects", "omisell"])
      expect(check(report, name).ok, name).toBe(true);
  });
});

describe("queues", () => {
  it("fails naming the queue that refuses a send", async () => {
    const refusing = {
      send: async () => {
        throw new Error("Queue omisell-forwards does not exist");
      },
    };
    expectFailed(await doctorWith({ FORWARDS: refusing }), "queues", /omisell-forwards .*does not exist/);
  });

  it.each(["omisell-followups", "omisell-followups-dlq", "omisell-forwards"])(
    "has its probe acknowledged unread by the consumer of %s",
    async (queue) => {
      const outcome = await runBatch(queue, [{ id: "probe-1", attempts: 1, body: QUEUE_PROBE }], env);
      expect(outcome).toEqual({ acked: ["probe-1"], retried: [] });
    },
  );

  it("hands the rest of a batch with a probe to the consumer", async () => {
    const outcome = await runBatch<unknown>(
      "omisell-followups",
      [
        { id: "probe-2", attempts: 1, body: QUEUE_PROBE },
        { id: "gone", attempts: 1, body: { eventId: "01ARZ3NDEKTSV4RRFFQ69G5FAV", reason: "push" } },
      ],
      env,
    );
    expect(outcome.acked.sort()).toEqual(["gone", "probe-2"]);
  });
});

describe("durable_objects", () => {
  it("fails naming the class that does not answer, within its time bound", async () => {
    const dead = {
      idFromName: () => ({}),
      get: () => ({
        describe: async () => {
          throw new Error("Durable Object class OmisellTokenHolder not found");
        },
      }),
    };
    expectFailed(await doctorWith({ OMISELL_TOKEN: dead }), "durable_objects", /OmisellTokenHolder/);
    const hanging = { idFromName: () => ({}), get: () => ({ countFailures: () => new Promise(() => {}) }) };
    const started = Date.now();
    const report = await doctorWith({ SIGN_IN_GUARD: hanging });
    expectFailed(report, "durable_objects", /SignInGuard .*no answer within/);
    expect(Date.now() - started).toBeLessThan(9_000);
  });
});

describe("omisell", () => {
  it('says "credentials refused" when Omisell answers 401', async () => {
    const report = await doctorWith({ OMISELL_ACCOUNT_KEY: `${REFUSED_CREDENTIAL}-1` });
    expectFailed(report, "omisell", /^credentials refused \(HTTP 401/);
    expect(check(report, "omisell").fix).toContain("OMISELL_ACCOUNT_KEY");
  });

  it('says "unreachable" when the Omisell host does not answer', async () => {
    const original = globalThis.fetch;
    // The host is down: the connection fails, no answer at all.
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (new URL(request.url).hostname === "down.omisell.test") throw new TypeError("Network connection lost.");
      return original(request);
    });
    const report = await doctorWith({ OMISELL_API_BASE: "https://down.omisell.test" });
    expectFailed(report, "omisell", /^unreachable at https:\/\/down\.omisell\.test \(network error/);
    expect(check(report, "omisell").fix).toContain("OMISELL_API_BASE");
  });

  it("asks the order list of the last minute for one result, with the deployment's credentials", async () => {
    const seen: Request[] = [];
    const original = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      seen.push(request.clone());
      return original(request);
    });
    expect(check(await doctorWith(), "omisell").ok).toBe(true);
    const call = seen.find((r) => r.url.includes("/api/v2/public/order/list"));
    const url = new URL(call?.url as string);
    expect(url.searchParams.get("page_size")).toBe("1");
    const from = Number(url.searchParams.get("updated_from"));
    expect(Number(url.searchParams.get("updated_to")) - from).toBeLessThanOrEqual(61);
    expect(call?.headers.get("authorization")).toBe(`Account ${TEST_VARS.OMISELL_ACCOUNT_KEY}`);
  });

  it("names a missing seller id in partner mode (reconciliation needs it too)", async () => {
    const report = await doctorWith({ OMISELL_AUTH_MODE: "partner", OMISELL_PARTNER_KEY: "p", OMISELL_COUNTRY: "VN" });
    expectFailed(report, "omisell", /not called: OMISELL_SELLER_ID/);
  });
});

describe("cron", () => {
  it("fails when the cron has been silent for more than 3 minutes", async () => {
    await recordCronTick(env.DB, { tickedAt: Date.now() - 10 * 60_000, scheduledTime: Date.now() - 10 * 60_000 });
    expectFailed(await doctorWith(), "cron", "the cron last ran 10 min ago");
    await tickNow();
    expect(check(await doctorWith(), "cron")).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/last ran \d+ s ago/),
    });
  });

  it("fails when the cron has never run", async () => {
    await env.DB.prepare("DELETE FROM cron_tick").run();
    expectFailed(await doctorWith(), "cron", "never run");
    await tickNow();
  });
});

describe("pushes", () => {
  it("passes before the first push, counts no self-test, then shows the last push's signature", async () => {
    const selftest = { event: "omisell_push.selftest", request_id: `selftest-${crypto.randomUUID()}` };
    expect((await fetchWithEnv(await signedRequest(selftest), {})).headers.get("Push-Status")).toBe("accepted");
    expect(check(await doctorWith(), "pushes")).toMatchObject({
      ok: true,
      detail: "SIGNATURE_MODE enforce; no push yet: paste the callback URL into the Omisell console",
    });
    await sendPush(samplePush());
    expect(check(await doctorWith(), "pushes").detail).toMatch(/the last push \d+ s ago, signature valid \(hmac\)$/);
  });

  it("fails when the last push failed its signature check", async () => {
    const res = await fetchWithEnv(await signedRequest(samplePush(), { secret: "not-the-secret" }), {
      SIGNATURE_MODE: "report",
    });
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expectFailed(
      await doctorWith({ SIGNATURE_MODE: "report" }),
      "pushes",
      /SIGNATURE_MODE report; the last push .* failed its signature check/,
    );
  });

  it("fails when signatures are checked without a push secret, naming it", async () => {
    expectFailed(
      await doctorWith({ OMISELL_PUSH_SECRET: "" }),
      "pushes",
      /without OMISELL_PUSH_SECRET: every push is refused/,
    );
  });
});

describe("destinations", () => {
  async function forwardingOn(answers: { status: number }[]) {
    const scenario = await newScenario(answers);
    return {
      FORWARD_URL: `https://forward.test/hook/${scenario}?key=secret-in-url`,
      FORWARD_SECRET: TEST_FORWARD_SECRET,
      scenario,
    };
  }

  it("passes with forwarding off", async () => {
    expect(check(await doctorWith(), "destinations")).toMatchObject({
      ok: true,
      detail: expect.stringContaining("none active"),
    });
  });

  it("fails when FORWARD_URL is set but refused", async () => {
    expectFailed(await doctorWith({ FORWARD_URL: "https://forward.test/hook/x" }), "destinations", /refused/);
  });

  it("reports the latest delivery attempt: failing, then delivered, never the URL's path or query", async () => {
    const vars = await forwardingOn([{ status: 500 }, { status: 200 }]);
    const forwarding = { FORWARD_URL: vars.FORWARD_URL, FORWARD_SECRET: vars.FORWARD_SECRET };
    const { insertSettledEvent, runForwards, forwardEnv, walkedDelivery } = await import("./helpers/forward");
    const workerEnv = forwardEnv(forwarding);
    const delivery = await walkedDelivery(workerEnv, await insertSettledEvent());
    await runForwards([delivery as string], workerEnv);
    const failing = await doctorWith(forwarding);
    expectFailed(
      failing,
      "destinations",
      /FORWARD_URL \(forward\.test\): the latest attempt \d+ s ago: failed, retrying \(HTTP 500\)/,
    );
    expect(JSON.stringify(failing)).not.toContain("secret-in-url");
    await env.DB.prepare("UPDATE deliveries SET next_attempt_at = 0 WHERE id = ?1").bind(delivery).run();
    await runForwards([delivery as string], workerEnv);
    expect((await callsOf(vars.scenario)).length).toBe(2);
    expect(check(await doctorWith(forwarding), "destinations")).toMatchObject({
      ok: true,
      detail: expect.stringContaining("delivered (HTTP 200)"),
    });
  });
});

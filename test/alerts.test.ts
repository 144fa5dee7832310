/**
 * Alerts: the cron records one alert per change of state (the pipeline's health, failures,
 * retention risk), suppresses repeats within ALERT_REPEAT_MINUTES, sends them to ALERT_URL as
 * Slack text or signed Standard Webhooks, lists them in GET /api/alerts, and never fails or holds
 * the cron when the alert endpoint does.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_ALERT_ATTEMPTS } from "../src/alerts/send";
import { runAlerts } from "../src/alerts/watch";
import { runScheduled } from "../src/cron/scheduled";
import { pause } from "../src/forward/destinations";
import {
  adminDepsOf,
  callsOf,
  createTestDestination,
  forwardEnv,
  newScenario,
  recordingQueue,
  TEST_FORWARD_SECRET,
} from "./helpers/forward";
import { apiGet, expectInvalidField, json, storeEvent } from "./helpers/read-api";

afterEach(() => {
  vi.restoreAllMocks();
});

const MINUTE = 60_000;
const DAY = 86_400_000;

type AlertView = {
  id: string;
  kind: string;
  subject: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: number;
  data: Record<string, unknown>;
};

async function alertsOf(kind?: string): Promise<AlertView[]> {
  const res = await apiGet(`/api/alerts?limit=200${kind ? `&kind=${kind}` : ""}`);
  expect(res.status).toBe(200);
  return (await json<{ alerts: AlertView[] }>(res)).alerts;
}

/** An env whose alerts go to a fresh scenario of the stand-in. */
async function alerting(vars: Record<string, string> = {}, answers: { status: number; delayMs?: number }[] = []) {
  const scenario = await newScenario(answers);
  const { queue } = recordingQueue();
  const workerEnv = forwardEnv(
    { ALERT_URL: `https://forward.test/hook/${scenario}`, RECONCILE_EVERY_MINUTES: "0", ...vars },
    queue,
  );
  return { scenario, workerEnv };
}

const texts = async (scenario: string) => (await callsOf(scenario)).map((call) => JSON.parse(call.body).text as string);

describe("the pipeline's health", () => {
  it("a change to degraded gives one alert, a repeat none, the recovery one", async () => {
    const { scenario, workerEnv } = await alerting();
    const t0 = Date.now();
    await runAlerts(workerEnv, t0);
    expect(await alertsOf("health.degraded")).toEqual([]);

    await storeEvent({ status: "failed", processed_at: t0 });
    await runAlerts(workerEnv, t0 + MINUTE);
    await runAlerts(workerEnv, t0 + 2 * MINUTE);
    const degraded = await alertsOf("health.degraded");
    expect(degraded).toEqual([expect.objectContaining({ subject: "failures", status: "sent", attempts: 1 })]);
    expect((await texts(scenario)).filter((t) => t.includes("degraded"))).toEqual([
      "omisell-push: the pipeline is degraded: failures.",
    ]);

    await runAlerts(workerEnv, t0 + 2 * 60 * MINUTE);
    expect(await alertsOf("health.recovered")).toEqual([
      expect.objectContaining({ subject: "health", status: "sent" }),
    ]);
    expect(await texts(scenario)).toContain("omisell-push: the pipeline is healthy again.");
  });

  it("the same change within ALERT_REPEAT_MINUTES is recorded as the state but not alerted again", async () => {
    const { workerEnv } = await alerting({ ALERT_REPEAT_MINUTES: "600" });
    const t0 = Date.now() + 10 * DAY;
    await runAlerts(workerEnv, t0);
    await storeEvent({ status: "failed", processed_at: t0 + MINUTE });
    await runAlerts(workerEnv, t0 + 2 * MINUTE);
    await runAlerts(workerEnv, t0 + 2 * 60 * MINUTE);
    await storeEvent({ status: "failed", processed_at: t0 + 3 * 60 * MINUTE });
    await runAlerts(workerEnv, t0 + 3 * 60 * MINUTE + MINUTE);
    const ofThisTest = (alerts: AlertView[]) => alerts.filter((a) => a.created_at >= t0);
    // Degraded, recovered, degraded again: the second degraded repeats the first within 600 minutes.
    expect(ofThisTest(await alertsOf("health.degraded"))).toHaveLength(1);
    expect(ofThisTest(await alertsOf("health.recovered"))).toHaveLength(1);
    const states = await env.DB.prepare("SELECT state FROM alert_states WHERE key = 'health'").first<{
      state: string;
    }>();
    expect(states?.state).toBe("failures");
  });
});

describe("the formats", () => {
  it("webhook: Standard Webhooks signed with ALERT_SECRET, type alert.<kind>", async () => {
    const { scenario, workerEnv } = await alerting({ ALERT_FORMAT: "webhook", ALERT_SECRET: TEST_FORWARD_SECRET });
    const t0 = Date.now() + 20 * DAY;
    await runAlerts(workerEnv, t0);
    await storeEvent({ status: "failed", processed_at: t0 });
    await runAlerts(workerEnv, t0 + MINUTE);
    const calls = await callsOf(scenario);
    const bodies = calls.map(
      (call) => new Webhook(TEST_FORWARD_SECRET).verify(call.body, call.headers) as Record<string, unknown>,
    );
    expect(bodies).toContainEqual(
      expect.objectContaining({
        type: "alert.events.failed",
        data: expect.objectContaining({
          kind: "events.failed",
          count: expect.any(Number),
          first_ids: expect.any(Array),
        }),
      }),
    );
    expect(calls.every((call) => call.headers["webhook-id"]?.length === 26)).toBe(true);
  });

  it("a webhook format without ALERT_SECRET is refused as config, and records nothing", async () => {
    const { scenario, workerEnv } = await alerting({ ALERT_FORMAT: "webhook" });
    expect(await runAlerts(workerEnv, Date.now())).toEqual({ recorded: 0, sent: 0 });
    expect(await callsOf(scenario)).toEqual([]);
  });
});

describe("failures digest", () => {
  it("events.failed: how many ended failed in the last hour, the first ids, the dashboard link; not again until new ones fail", async () => {
    const { scenario, workerEnv } = await alerting({
      PUBLIC_CALLBACK_URL: "https://push.example.com/webhooks/omisell",
    });
    const t0 = Date.now() + 30 * DAY;
    const failed = [
      await storeEvent({ status: "failed", processed_at: t0 }),
      await storeEvent({ status: "failed", processed_at: t0 + 1 }),
    ];
    await runAlerts(workerEnv, t0 + MINUTE);
    await runAlerts(workerEnv, t0 + 2 * MINUTE);
    const digests = (await alertsOf("events.failed")).filter((a) =>
      (a.data.first_ids as string[]).includes(failed[0]?.id ?? ""),
    );
    expect(digests).toHaveLength(1);
    expect(digests[0]?.data).toMatchObject({ count: 2, link: "https://push.example.com/dashboard?status=failed" });
    expect(
      (await texts(scenario)).some((t) => t.startsWith("omisell-push: 2 event(s) ended failed in the last hour")),
    ).toBe(true);
  });
});

describe("retention risk", () => {
  it("warns once when a paused destination's oldest unreached event is within a day of retention", async () => {
    const { workerEnv } = await alerting();
    const now = Date.now();
    const old = await storeEvent({ status: "processed", at: now - 89.5 * DAY, processed_at: now - 89 * DAY });
    const target = await createTestDestination(workerEnv, await newScenario(), { start: (old.seq ?? 1) - 1 });
    await pause(adminDepsOf(workerEnv), target.id);
    await runAlerts(workerEnv, now);
    await runAlerts(workerEnv, now + MINUTE);
    const risks = (await alertsOf("retention.risk")).filter((a) => a.subject === target.id);
    expect(risks).toHaveLength(1);
    expect(risks[0]?.data).toMatchObject({ oldest_event_id: old.id, retention_days: 90 });
  });
});

describe("a failing alert endpoint", () => {
  it("never fails the cron: the alert stays pending with its error, and is failed after its tries", async () => {
    const { workerEnv } = await alerting({}, [{ status: 500 }]);
    const t0 = Date.now() + 40 * DAY;
    await storeEvent({ status: "failed", processed_at: t0 });
    const cron = (at: number) =>
      runScheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), workerEnv);
    await expect(cron(t0 + MINUTE)).resolves.toBeUndefined();
    const [pending] = (await alertsOf()).filter((a) => a.status === "pending");
    expect(pending).toMatchObject({ attempts: 1, last_error: "HTTP 500" });
    for (let i = 2; i <= MAX_ALERT_ATTEMPTS; i++) await runAlerts(workerEnv, t0 + i * MINUTE);
    const after = (await alertsOf()).find((a) => a.id === pending?.id);
    expect(after).toMatchObject({ status: "failed", attempts: MAX_ALERT_ATTEMPTS });
  });

  it("that does not answer is given up on within the send timeout", async () => {
    const { workerEnv } = await alerting({}, [{ status: 200, delayMs: 9000 }]);
    const t0 = Date.now() + 50 * DAY;
    await storeEvent({ status: "failed", processed_at: t0 });
    const started = Date.now();
    await runAlerts(workerEnv, t0 + MINUTE);
    expect(Date.now() - started).toBeLessThan(8000);
    const timedOut = (await alertsOf()).filter((a) => a.status === "pending" && a.last_error?.includes("Timeout"));
    expect(timedOut.length).toBeGreaterThan(0);
  }, 20_000);
});

describe("GET /api/alerts", () => {
  it("pages newest first with a read token, and refuses a bad limit or no token", async () => {
    const first = await apiGet("/api/alerts?limit=1");
    const page = await json<{ alerts: AlertView[]; next_cursor: string | null }>(first);
    expect(page.alerts).toHaveLength(1);
    const next = await json<{ alerts: AlertView[] }>(await apiGet(`/api/alerts?limit=1&cursor=${page.next_cursor}`));
    expect((next.alerts[0]?.id ?? "") < (page.alerts[0]?.id ?? "")).toBe(true);
    await expectInvalidField(await apiGet("/api/alerts?limit=0"), "limit");
    expect((await apiGet("/api/alerts", null)).status).toBe(401);
  });
});

describe("with ALERT_URL unset", () => {
  it("nothing is watched, recorded or sent", async () => {
    const before = (await alertsOf()).length;
    await storeEvent({ status: "failed", processed_at: Date.now() });
    expect(await runAlerts(env, Date.now())).toEqual({ recorded: 0, sent: 0 });
    expect((await alertsOf()).length).toBe(before);
  });
});

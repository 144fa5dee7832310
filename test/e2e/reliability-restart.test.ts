/**
 * Restarts and follow-up faults against a worker of this file's own (its own persisted state,
 * its own Omisell stand-in), started the way `npm start` starts it:
 * - a storm of 200 pushes over 20 request ids with the whole local stack killed (SIGKILL, no
 *   shutdown at all) and started again in the middle; Omisell's retries then leave exactly 20
 *   events, every one followed up within SWEEP_AFTER_SECONDS plus a minute (the local queue
 *   does not survive SIGKILL, so the cron sweeper recovers what it lost; figures count them);
 * - another stop and start loses nothing, and pushes stored before it are still duplicates;
 * - the stand-in times out, answers 500, 429, 401, malformed JSON or `error: true`: every event
 *   ends processed, skipped or failed with a reason, never stuck, and a replay of a failed one
 *   succeeds once the fault is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2E_VARS } from "./config";
import { type ApiEvent, e2eClient, FINAL_STATUSES, pushBody, recordFigures, storm } from "./reliability-client";
import { type LocalStack, type LocalWorker, startLocalStack } from "./stack";

const ADMIN = E2E_VARS.ADMIN_API_TOKENS;
const figures = {
  pushesSent: 0,
  restarts: 0,
  killedWithSigkill: 0,
  noAnswerDuringRestart: 0,
  fiveHundredsDuringRestart: 0,
  eventsLost: 0,
  duplicatesStored: 0,
  followedUpOnlyAfterSweep: 0,
  receivedWhenKilled: 0,
  recoveredBySweeperAfterKill: 0,
  followupFaultsInjected: 0,
  stuckEvents: 0,
  replaysSucceeded: 0,
};

let stack: LocalStack;
let worker: LocalWorker;
const client = e2eClient(() => worker.url);

async function restart(): Promise<void> {
  await worker.stop();
  worker = await stack.startWorker();
  figures.restarts += 1;
}

/** Kills wrangler dev, workerd and all, with SIGKILL: nothing is flushed, the queue is lost. */
async function killAndStart(): Promise<void> {
  const { child } = worker;
  const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
  try {
    if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
  await exited;
  figures.killedWithSigkill += 1;
  worker = await stack.startWorker();
  figures.restarts += 1;
}

async function send(body: string) {
  const answer = await client.push(body);
  figures.pushesSent += 1;
  return answer;
}

async function allEvents(): Promise<ApiEvent[]> {
  const { status, body } = await client.read<{ events: ApiEvent[] }>("/api/events?limit=200");
  expect(status).toBe(200);
  return body.events;
}

async function setKnobs(knobs: Record<string, number>) {
  const res = await fetch(`${stack.standin.url}/__standin/knobs`, { method: "POST", body: JSON.stringify(knobs) });
  expect(res.status).toBe(200);
}

/** Runs the cron handler now (wrangler dev --test-scheduled), as the every-minute trigger would. */
async function runCron() {
  await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
}

/** Waits for every id to be `processed`, running the sweeper for those left `received`. */
async function waitAllProcessed(ids: string[], timeoutMs = 40_000) {
  const deadline = Date.now() + timeoutMs;
  const swept = new Set<string>();
  let pending = ids;
  let lastCron = Date.now();
  while (pending.length > 0 && Date.now() < deadline) {
    const states = await Promise.all(
      pending.map(async (id) => (await client.read<ApiEvent>(`/api/events/${id}`)).body),
    );
    pending = states.filter((e) => e.status !== "processed").map((e) => e.id);
    if (pending.length > 0 && Date.now() - lastCron > 3_000) {
      // Sweeps only what waited SWEEP_AFTER_SECONDS (10 s here): a lost message, not a slow one.
      for (const id of pending) swept.add(id);
      await runCron();
      lastCron = Date.now();
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  figures.stuckEvents += pending.length;
  expect(pending, "events never followed up").toEqual([]);
  return swept.size;
}

beforeAll(async () => {
  stack = await startLocalStack("reliability", {
    vars: {
      // Omisell's first retry comes 2 minutes later; a 1 s lease lets these retries stand in for it.
      CLAIM_LEASE_SECONDS: "1",
      OMISELL_API_TIMEOUT_MS: "400",
      FOLLOWUP_MAX_RETRIES: "0",
      FOLLOWUP_BACKOFF_BASE_SECONDS: "1",
      FOLLOWUP_BACKOFF_MAX_SECONDS: "1",
    },
  });
  worker = stack.worker;
}, 120_000);

afterAll(async () => {
  await stack?.close();
  recordFigures("e2e_restart_and_followup_faults", figures);
});

describe("restarts", () => {
  const pushes = Array.from({ length: 20 }, () => pushBody("order.created"));
  const idOfRequest = new Map<string, string>();

  it("a storm of 200 pushes over 20 request ids with a SIGKILL in the middle leaves 20 events, all followed up", async () => {
    const { deliveries, sendAll, retry } = storm(pushes, send);
    // Ten waves of 20: four answered before the kill, the rest sent while the stack dies, is
    // down, or starts again.
    const waves = Array.from({ length: 10 }, (_, i) => deliveries.filter((_, j) => j % 10 === i));
    // A slow Omisell keeps follow-ups queued or in flight when the kill comes: the local queue
    // loses them with the process, and the cron sweeper must find their rows still `received`.
    await setKnobs({ latencyMs: 300 });
    for (const wave of waves.slice(0, 4)) await sendAll(wave);
    const restarting = killAndStart();
    const killedAt = Date.now();
    const inFlight: Promise<unknown>[] = [];
    for (const wave of waves.slice(4)) {
      inFlight.push(sendAll(wave));
      await new Promise((r) => setTimeout(r, 30));
    }
    await Promise.all([...inFlight, restarting]);
    await setKnobs({ latencyMs: 0 });
    for (const answer of deliveries.flatMap((d) => d.answers)) {
      if (answer.status === 0) figures.noAnswerDuringRestart += 1;
      if (answer.status >= 500) figures.fiveHundredsDuringRestart += 1;
    }

    // Omisell retries whatever was not answered 200.
    expect(await retry({ rounds: 8, pauseMs: 1_100 })).toHaveLength(0);

    const events = await allEvents();
    const byRequest = new Map<string, ApiEvent[]>();
    for (const event of events)
      byRequest.set(event.request_id ?? "", [...(byRequest.get(event.request_id ?? "") ?? []), event]);
    for (const push of pushes) {
      const requestId = (JSON.parse(push.body) as { request_id: string }).request_id;
      const stored = byRequest.get(requestId) ?? [];
      if (stored.length === 0) figures.eventsLost += 1;
      figures.duplicatesStored += Math.max(0, stored.length - 1);
      expect(stored).toHaveLength(1);
      const id = stored[0]?.id as string;
      idOfRequest.set(requestId, id);
      for (const d of deliveries.filter((d) => d.push === push)) {
        for (const answer of d.answers.filter((a) => a.status === 200)) expect(answer.eventId).toBe(id);
      }
    }
    expect(events).toHaveLength(20);
    figures.followedUpOnlyAfterSweep += await waitAllProcessed([...idOfRequest.values()], 70_000);
    // Every event followed up within SWEEP_AFTER_SECONDS plus a minute of the kill.
    expect(Date.now() - killedAt).toBeLessThanOrEqual((Number(stack.vars.SWEEP_AFTER_SECONDS) + 60) * 1000);
  }, 150_000);

  it("after another stop and start nothing is lost and earlier pushes are still duplicates", async () => {
    await restart();
    const events = await allEvents();
    expect(events).toHaveLength(20);
    expect(events.every((e) => e.status === "processed")).toBe(true);
    for (const push of pushes) {
      const requestId = (JSON.parse(push.body) as { request_id: string }).request_id;
      const answer = await send(push.body);
      expect(answer).toMatchObject({ status: 200, pushStatus: "duplicate", eventId: idOfRequest.get(requestId) });
    }
    expect(await allEvents()).toHaveLength(20);
  });
});

describe("a SIGKILL right after the answers", () => {
  it("pushes answered 200 just before the kill, with no copy after it, are all followed up by the cron sweeper in time", async () => {
    // Slow Omisell: follow-ups are still queued or in flight when the stack dies.
    await setKnobs({ latencyMs: 300 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => send(pushBody("order.shipped").body)));
    expect(answers.every((a) => a.status === 200 && a.pushStatus === "accepted")).toBe(true);
    const ids = answers.map((a) => a.eventId as string);
    const states = await Promise.all(ids.map(async (id) => (await client.read<ApiEvent>(`/api/events/${id}`)).body));
    figures.receivedWhenKilled += states.filter((e) => e.status === "received").length;
    const killedAt = Date.now();
    await killAndStart();
    await setKnobs({ latencyMs: 0 });
    // Nothing but the cron sweeper can follow these up now: Omisell has its 200s and sends no copy.
    figures.recoveredBySweeperAfterKill += await waitAllProcessed(ids, 70_000);
    expect(Date.now() - killedAt).toBeLessThanOrEqual((Number(stack.vars.SWEEP_AFTER_SECONDS) + 60) * 1000);
  }, 150_000);
});

describe("follow-up faults from the Omisell API", () => {
  const FAULTS: { name: string; knobs: Record<string, number>; error: RegExp }[] = [
    { name: "a timeout", knobs: { latencyMs: 1_000 }, error: /time|abort/i },
    { name: "HTTP 500", knobs: { errorRate: 1, errorStatus: 500 }, error: /500/ },
    { name: "HTTP 401", knobs: { unauthorizedRate: 1 }, error: /401|unauthori/i },
    { name: "malformed JSON", knobs: { malformedRate: 1 }, error: /json|malformed|envelope/i },
    { name: "an error:true envelope", knobs: { envelopeErrorRate: 1, envelopeErrorCode: 500 }, error: /500|error/i },
  ];
  const CLEAR = { latencyMs: 0, errorRate: 0, rate429: 0, unauthorizedRate: 0, malformedRate: 0, envelopeErrorRate: 0 };

  const failedIds: string[] = [];

  it.each(FAULTS)("$name: the event ends failed with the reason, never stuck", async (fault) => {
    await setKnobs({ ...CLEAR, ...fault.knobs });
    figures.followupFaultsInjected += 1;
    const answer = await send(pushBody("order.shipped").body);
    expect(answer).toMatchObject({ status: 200, pushStatus: "accepted" });
    const id = answer.eventId as string;

    let final: ApiEvent;
    try {
      final = await client.waitForEvent(id, (e) => FINAL_STATUSES.includes(e.status), 20_000);
    } catch (err) {
      figures.stuckEvents += 1;
      throw err;
    }
    expect(final.status).toBe("failed");
    expect(final.last_error).toMatch(fault.error);
    failedIds.push(id);
  });

  it("HTTP 429: the event waits without using an attempt, never fails, and ends processed once Omisell answers", async () => {
    await setKnobs({ ...CLEAR, rate429: 1, retryAfterSeconds: 1 });
    figures.followupFaultsInjected += 1;
    const answer = await send(pushBody("order.shipped").body);
    expect(answer).toMatchObject({ status: 200, pushStatus: "accepted" });
    const id = answer.eventId as string;

    // Throttled for a few seconds: several waits, none of them an attempt or a failure.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const waiting = await client.waitForEvent(id, () => true, 5_000);
    expect(waiting).toMatchObject({ status: "received", attempts: 0 });

    await setKnobs(CLEAR);
    const final = await client.waitForEvent(id, (e) => FINAL_STATUSES.includes(e.status), 20_000);
    expect(final).toMatchObject({ status: "processed", attempts: 1 });
  });

  it("a replay of every failed event succeeds once the faults are gone", async () => {
    expect(failedIds).toHaveLength(FAULTS.length);
    await setKnobs(CLEAR);
    for (const id of failedIds) {
      const replay = await fetch(`${worker.url}/api/events/${id}/replay`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(replay.status).toBe(202);
    }
    for (const id of failedIds) {
      const replayed = await client.waitForEvent(id, (e) => e.status === "processed", 20_000);
      expect(replayed.last_error).toBeNull();
      figures.replaysSucceeded += 1;
    }
  });
});

/**
 * Storms: many copies of the same pushes at once, as Omisell's retries and a burst of orders can
 * produce. 200 concurrent pushes over 20 request ids, retried the way Omisell retries anything
 * not answered 200, must leave exactly 20 rows and 20 follow-ups — also while steps of the push
 * path fail at random and while the claim Durable Objects are reset in the middle.
 */
import { abortAllDurableObjects } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type Attempt,
  enqueuedIds,
  expireHold,
  type FaultMode,
  firedFaults,
  injectFault,
  restoreSteps,
  STEPS,
  sendOnce,
} from "./helpers/faults";
import { samplePush, toBytes } from "./helpers/push";

const IDS = 20;
const COPIES = 10;
const tally = { pushesSent: 0, storms: 0, lost: 0, duplicates: 0, faultsInjected: 0 };

beforeEach(() => {
  restoreSteps();
  enqueuedIds.length = 0;
});
afterEach(() => restoreSteps());
afterAll(async () => {
  console.log(`reliability-storm: ${JSON.stringify(tally)}`);
  await backgroundSettled();
});

/**
 * The storms leave follow-ups running on the queue consumer after the last answer; the file's
 * environment must not close under them. Waits until the number of `received` events has stopped
 * changing (some are left for the sweeper on purpose), at most 10 s.
 */
async function backgroundSettled(): Promise<void> {
  let last = -1;
  let steady = 0;
  for (let i = 0; i < 50 && steady < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM events WHERE status = 'received'").first<{
      n: number;
    }>();
    const n = row?.n ?? 0;
    steady = n === last ? steady + 1 : 0;
    last = n;
  }
}

type Delivery = { key: string; bytes: Uint8Array; answers: Attempt[] };

function stormPushes(): Delivery[] {
  const pushes = Array.from({ length: IDS }, () => samplePush("order.created"));
  const deliveries: Delivery[] = [];
  for (let copy = 0; copy < COPIES; copy++) {
    for (const push of pushes) deliveries.push({ key: push.request_id, bytes: toBytes(push), answers: [] });
  }
  return deliveries;
}

/**
 * Sends every delivery at once; then, round after round, sends again (all at once) every delivery
 * not yet answered 200, after ending the holds of copies in flight as Omisell's 2-minute wait would.
 * `midStorm` runs concurrently with the first round.
 */
async function storm(deliveries: Delivery[], midStorm?: () => Promise<void>): Promise<number> {
  tally.storms += 1;
  let pending = deliveries;
  let rounds = 0;
  while (pending.length > 0 && rounds < 8) {
    if (rounds > 0) for (const key of new Set(pending.map((d) => d.key))) await expireHold(key);
    const sends = pending.map(async (delivery) => {
      delivery.answers.push(await sendOnce(delivery.bytes));
    });
    await Promise.all(rounds === 0 && midStorm ? [...sends, midStorm()] : sends);
    tally.pushesSent += pending.length;
    pending = pending.filter((d) => d.answers.at(-1)?.status !== 200);
    rounds += 1;
  }
  return rounds;
}

async function rowsByKey(keys: string[]) {
  const { results } = await env.DB.prepare(
    `SELECT dedupe_key, id, status FROM events WHERE dedupe_key IN (${keys.map(() => "?").join(",")})`,
  )
    .bind(...keys)
    .all<{ dedupe_key: string; id: string; status: string }>();
  return results;
}

async function checkStormOutcome(deliveries: Delivery[], followupsMayBeLeftToSweeper: boolean) {
  const keys = [...new Set(deliveries.map((d) => d.key))];
  const rows = await rowsByKey(keys);
  tally.lost += keys.length - new Set(rows.map((r) => r.dedupe_key)).size;
  tally.duplicates += rows.length - new Set(rows.map((r) => r.dedupe_key)).size;

  expect(rows).toHaveLength(IDS);
  expect(new Set(rows.map((r) => r.dedupe_key)).size).toBe(IDS);

  const idOfKey = new Map(rows.map((r) => [r.dedupe_key, r.id]));
  for (const delivery of deliveries) {
    const final = delivery.answers.at(-1);
    expect(final?.status, JSON.stringify(delivery.answers)).toBe(200);
    // Every 200 for a request id names the one row stored for it.
    for (const answer of delivery.answers.filter((a) => a.status === 200)) {
      expect(answer.eventId).toBe(idOfKey.get(delivery.key));
    }
    for (const answer of delivery.answers.filter((a) => a.status !== 200)) {
      expect([409, 503]).toContain(answer.status);
    }
  }

  if (followupsMayBeLeftToSweeper) {
    for (const row of rows) expect(enqueuedIds.includes(row.id) || row.status === "received").toBe(true);
  } else {
    const stormIds = new Set(idOfKey.values());
    expect(new Set(enqueuedIds.filter((id) => stormIds.has(id))).size).toBe(IDS);
  }
  return rows;
}

describe("storms of concurrent copies", () => {
  it("200 concurrent pushes over 20 request ids store 20 rows and enqueue 20 follow-ups", async () => {
    const deliveries = stormPushes();
    await storm(deliveries);
    await checkStormOutcome(deliveries, false);
    // Without faults nothing is enqueued twice: one message per stored push.
    expect(enqueuedIds).toHaveLength(IDS);
    // Exactly one copy per request id is told `accepted`; every other 200 says `duplicate`.
    const accepted = deliveries.flatMap((d) => d.answers).filter((a) => a.pushStatus === "accepted");
    expect(accepted).toHaveLength(IDS);
  });

  it("a storm still stores 20 rows when the claim Durable Objects are reset in the middle", async () => {
    const deliveries = stormPushes();
    await storm(deliveries, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await abortAllDurableObjects();
    });
    await checkStormOutcome(deliveries, false);
  });

  it("a storm with random step failures still stores 20 rows, each followed up or left for the sweeper", async () => {
    // One fault plan drawn by fast-check (fixed seed): each step fails a few times in some way.
    const [plan] = fc.sample(
      fc.array(
        fc.record({
          step: fc.constantFrom(...STEPS),
          mode: fc.constantFrom<FaultMode>("before", "after", "reset"),
          times: fc.integer({ min: 1, max: 6 }),
        }),
        { minLength: 4, maxLength: 8 },
      ),
      { numRuns: 1, seed: 2026 },
    );
    for (const fault of plan ?? []) injectFault(fault);
    const firedBefore = Object.values(firedFaults).reduce((a, b) => a + b, 0);
    const deliveries = stormPushes();
    await storm(deliveries);
    tally.faultsInjected += Object.values(firedFaults).reduce((a, b) => a + b, 0) - firedBefore;
    await checkStormOutcome(deliveries, true);
  });
});

/**
 * Fault injection at every step of the push path (begin, insert, enqueue, finish, and the claim
 * Durable Objects resetting or forgetting a key), followed by Omisell's retries of the same bytes.
 * After each scenario the design's invariants must hold:
 * - the push is stored exactly once, and every 200 names that one row;
 * - a push not answered 200 is stored after a retry (faults are fewer than Omisell's attempts);
 * - the only 5xx is a 503 `storage_unavailable` from an attempt whose D1 insert failed;
 * - the follow-up was enqueued, or the row is still `received` so the cron sweeper re-enqueues it;
 * - a key the shard remembers names the stored row, so later duplicates get the right id.
 */
import fc from "fast-check";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type Attempt,
  deliverLikeOmisell,
  enqueuedIds,
  type Fault,
  type FaultMode,
  firedFaults,
  forgetKey,
  injectFault,
  readClaim,
  restoreSteps,
  rowsForKey,
  type Step,
} from "./helpers/faults";
import { samplePush, toBytes } from "./helpers/push";

type Scenario = {
  name: string;
  faults: Fault[];
  /** What happens to the claim shard between Omisell's attempts. */
  between?: "forget-key" | "reset-shards";
};

const tally = { scenarios: 0, pushesSent: 0, lost: 0, duplicates: 0 };

/** A fault written `step mode` (once) or `step mode xN` (the first N calls). */
type FaultSpec = `${Step} ${FaultMode}` | `${Step} ${FaultMode} x${number}`;

function scenario(name: string, faults: FaultSpec[], between?: Scenario["between"]): Scenario {
  const parsed = faults.map((spec) => {
    const [step, mode, times = "x1"] = spec.split(" ") as [Step, FaultMode, string?];
    return { step, mode, times: Number(times.slice(1)) };
  });
  return between ? { name, faults: parsed, between } : { name, faults: parsed };
}

const single = (step: Step, mode: FaultMode, times: number) =>
  scenario(`${step} fails ${mode} its call, ${times}x`, [`${step} ${mode} x${times}`]);

const SCENARIOS: Scenario[] = [
  // Every step alone, every way of failing, once and for three of Omisell's four attempts.
  ...(["begin", "insert", "enqueue", "finish"] as const).flatMap((step) =>
    (["before", "after", "sync", "reset"] as const).flatMap((mode) => [single(step, mode, 1), single(step, mode, 3)]),
  ),
  scenario("begin taken but its answer lost, then the insert fails", ["begin after", "insert before"]),
  scenario("row written but its answer lost, then finish fails", ["insert after", "finish before"]),
  scenario("enqueue and finish both fail", ["enqueue before", "finish before"]),
  scenario("enqueue and finish both fail on every attempt", ["enqueue before x8", "finish before x8"]),
  scenario("claim shards unreachable and the enqueue lost", ["begin before x8", "enqueue after"]),
  scenario("the claim shard forgets the key between attempts", [], "forget-key"),
  scenario("the claim shard forgets the key after a failed finish", ["finish before"], "forget-key"),
  scenario("claim shards reset between attempts after a failed insert", ["insert after"], "reset-shards"),
];

beforeEach(() => restoreSteps());
afterEach(() => restoreSteps());
afterAll(() => {
  const fired = Object.values(firedFaults).reduce((a, b) => a + b, 0);
  console.log(`reliability-push-faults: ${JSON.stringify({ ...tally, faultsFired: fired, firedFaults })}`);
});

async function runScenario(scenario: Scenario) {
  const push = samplePush("order.shipped");
  const key = push.request_id;
  const bytes = toBytes(push);
  for (const fault of scenario.faults) injectFault(fault);
  const between =
    scenario.between === "forget-key"
      ? () => forgetKey(key)
      : scenario.between === "reset-shards"
        ? async () => {
            const { abortAllDurableObjects } = await import("cloudflare:test");
            await abortAllDurableObjects();
          }
        : undefined;
  const attempts = await deliverLikeOmisell(bytes, key, { maxAttempts: 4, lostAnswers: 3, between });
  tally.scenarios += 1;
  tally.pushesSent += attempts.length;
  return { key, attempts, rows: await rowsForKey(key), claim: await readClaim(key) };
}

function allowedFailure(attempt: Attempt): boolean {
  if (attempt.status === 409) return attempt.error === "in_flight";
  if (attempt.status === 503) return attempt.error === "storage_unavailable" && attempt.faulted.includes("insert");
  return false;
}

describe("push path under injected faults, then Omisell's retries", () => {
  it.each(SCENARIOS)("$name: stored exactly once and followed up", async (scenario) => {
    const { attempts, rows, claim } = await runScenario(scenario);
    if (rows.length === 0) tally.lost += 1;
    if (rows.length > 1) tally.duplicates += rows.length - 1;

    expect(rows).toHaveLength(1);
    const row = rows[0] as { id: string; status: string };

    expect(attempts.some((a) => a.status === 200)).toBe(true);
    for (const attempt of attempts) {
      if (attempt.status === 200) {
        expect(attempt).toMatchObject({ eventId: row.id, body: "" });
        expect(["accepted", "duplicate"]).toContain(attempt.pushStatus);
      } else {
        expect(allowedFailure(attempt), JSON.stringify(attempt)).toBe(true);
      }
    }

    const enqueueFaulted = scenario.faults.some((f) => f.step === "enqueue");
    if (!enqueueFaulted) expect(enqueuedIds).toContain(row.id);
    else expect(enqueuedIds.includes(row.id) || row.status === "received").toBe(true);

    if (claim.eventId !== null) expect(claim.eventId).toBe(row.id);
  });

  it("a push whose first answer was 200 is never stored twice by later copies", async () => {
    const { attempts, rows } = await runScenario({ name: "clean", faults: [] });
    expect(attempts.map((a) => a.pushStatus)).toEqual(["accepted", "duplicate", "duplicate", "duplicate"]);
    expect(rows).toHaveLength(1);
  });
});

describe("random fault plans (fast-check)", () => {
  const faultArb = fc.record({
    step: fc.constantFrom<Step>("begin", "insert", "enqueue", "finish"),
    mode: fc.constantFrom<FaultMode>("before", "after", "sync", "reset"),
    times: fc.integer({ min: 1, max: 2 }),
  });

  it("any plan of up to three faults converges to one row with its follow-up", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(faultArb, { maxLength: 3 }), fc.boolean(), async (faults, forgetBetween) => {
        restoreSteps();
        try {
          // Stacked faults on one step fire one after the other: at most 6 failures of a step,
          // Omisell gives 4 attempts, so allow a few more retries than Omisell would.
          const push = samplePush("shipment.delivered");
          const key = push.request_id;
          for (const fault of faults) injectFault(fault);
          const attempts = await deliverLikeOmisell(toBytes(push), key, {
            maxAttempts: 8,
            lostAnswers: 1,
            between: forgetBetween ? () => forgetKey(key) : undefined,
          });
          tally.pushesSent += attempts.length;
          const rows = await rowsForKey(key);
          if (rows.length === 0) tally.lost += 1;
          if (rows.length > 1) tally.duplicates += rows.length - 1;
          if (rows.length !== 1) return false;
          const row = rows[0] as { id: string; status: string };
          const answered = attempts.filter((a) => a.status === 200);
          return (
            answered.length > 0 &&
            answered.every((a) => a.eventId === row.id && a.body === "") &&
            attempts.every((a) => a.status === 200 || allowedFailure(a)) &&
            (enqueuedIds.includes(row.id) || row.status === "received")
          );
        } finally {
          restoreSteps();
        }
      }),
      { numRuns: 40, seed: 5 },
    );
  });
});

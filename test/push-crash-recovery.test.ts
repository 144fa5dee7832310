/**
 * A crash between any two steps of the push path (begin, insert, enqueue, finish), followed by
 * Omisell's retry of the same bytes, ends with one row and at least one follow-up. A crash is
 * simulated by making every step after the crash point fail, then ignoring the answer.
 */
import { afterEach, describe, expect, it } from "vitest";
import { beginPush } from "../src/dedupe/claims";
import { livePushSteps, type PushSteps } from "../src/push/ingest";
import { countEvents, eventRow, fetchWithEnv, samplePush, signedRequest } from "./helpers/push";

const real = livePushSteps;
/** The steps each request of a test is given: the real ones, with some replaced by fakes. */
const steps: PushSteps = { ...real };
const HOLD = { CLAIM_LEASE_SECONDS: "1" };
const STEPS = ["begin", "insert", "enqueue", "finish"] as const;
type Step = (typeof STEPS)[number];

afterEach(() => {
  Object.assign(steps, real);
});

/** Counts follow-ups sent per event id, through the real queue. */
function countEnqueues() {
  const sent: string[] = [];
  steps.enqueue = async (queue, eventId, reason) => {
    const result = await real.enqueue(queue, eventId, reason);
    sent.push(eventId);
    return result;
  };
  return sent;
}

/** Every step after `lastDone` dies. */
function crashAfter(lastDone: Step) {
  for (const step of STEPS.slice(STEPS.indexOf(lastDone) + 1)) {
    steps[step] = (() => Promise.reject(new Error(`crashed before ${step}`))) as never;
  }
}

function restore(sent: string[]) {
  Object.assign(steps, real);
  const counted = countEnqueues();
  return {
    get all() {
      return [...sent, ...counted];
    },
  };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a crash, then Omisell's retry", () => {
  it.each([
    ["after begin (nothing stored)", "begin", "accepted", 1],
    ["after the insert (no follow-up sent)", "insert", "duplicate", 1],
    // The retry sends again only if the consumer has not settled the row yet: 1 or 2 messages.
    ["after the send (the shard never told)", "enqueue", "duplicate", 2],
  ] as const)("%s: one row, at least one follow-up", async (_name, step, retryStatus, most) => {
    const push = samplePush("order.shipped");
    const sent = countEnqueues();
    crashAfter(step);
    await fetchWithEnv(await signedRequest(push), HOLD, steps);

    const counted = restore(sent);
    await wait(1100);
    const retry = await fetchWithEnv(await signedRequest(push), HOLD, steps);
    expect(retry.status).toBe(200);
    expect(retry.headers.get("Push-Status")).toBe(retryStatus);
    expect(await countEvents("request_id = ?", push.request_id)).toBe(1);
    const id = retry.headers.get("Push-Event-Id");
    expect(new Set(counted.all)).toEqual(new Set([id]));
    expect(counted.all.length).toBeLessThanOrEqual(most);
    const sentBefore = counted.all.length;

    const again = await fetchWithEnv(await signedRequest(push), HOLD, steps);
    expect(again.headers.get("Push-Status")).toBe("duplicate");
    expect(counted.all).toHaveLength(sentBefore);
  });

  it("after the shard was told: the retry is a duplicate from memory and the row stays received for the sweeper", async () => {
    const push = samplePush("order.shipped");
    const sent: string[] = [];
    steps.enqueue = async () => {
      throw new Error("crashed before the send");
    };
    await fetchWithEnv(await signedRequest(push), HOLD, steps);
    const counted = restore(sent);
    const retry = await fetchWithEnv(await signedRequest(push), HOLD, steps);
    expect(retry.headers.get("Push-Status")).toBe("duplicate");
    expect(await countEvents("request_id = ?", push.request_id)).toBe(1);
    expect(counted.all).toEqual([]);
    expect(await eventRow(retry.headers.get("Push-Event-Id") as string)).toMatchObject({ status: "received" });
  });

  it("a retry inside the hold is told to come back (409), and nothing is stored twice", async () => {
    const push = samplePush();
    crashAfter("begin");
    const crashed = await fetchWithEnv(await signedRequest(push), { CLAIM_LEASE_SECONDS: "30" }, steps);
    expect(crashed.status).toBe(503);
    Object.assign(steps, real);
    const early = await fetchWithEnv(await signedRequest(push), { CLAIM_LEASE_SECONDS: "30" }, steps);
    expect(early.status).toBe(409);
    expect(Number(early.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await countEvents("request_id = ?", push.request_id)).toBe(0);
  });
});

describe("failures the worker survives", () => {
  it("an insert failure answers 503 with Retry-After and frees the key, so the retry succeeds at once", async () => {
    const push = samplePush();
    steps.insert = () => Promise.reject(new Error("D1_ERROR: database is locked"));
    const failed = await fetchWithEnv(await signedRequest(push), {}, steps);
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ error: "storage_unavailable" });
    expect(failed.headers.get("Retry-After")).toBe("5");
    Object.assign(steps, real);
    const retry = await fetchWithEnv(await signedRequest(push), {}, steps);
    expect(retry.headers.get("Push-Status")).toBe("accepted");
  });

  it("a finish that throws at once still answers 503 after an insert failure, not 500", async () => {
    steps.insert = () => Promise.reject(new Error("D1_ERROR: database is locked"));
    steps.finish = () => {
      throw new Error("stub threw synchronously");
    };
    const res = await fetchWithEnv(await signedRequest(samplePush()), {}, steps);
    expect(res.status).toBe(503);
  });

  it("a finish that throws at once still answers 200 after a stored push", async () => {
    steps.finish = () => {
      throw new Error("stub threw synchronously");
    };
    const res = await fetchWithEnv(await signedRequest(samplePush()), {}, steps);
    expect(res.headers.get("Push-Status")).toBe("accepted");
  });

  it("an enqueue failure still answers 200: the row is received and the sweeper re-enqueues it", async () => {
    const push = samplePush();
    steps.enqueue = () => Promise.reject(new Error("Queue send failed"));
    const res = await fetchWithEnv(await signedRequest(push), {}, steps);
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(await eventRow(res.headers.get("Push-Event-Id") as string)).toMatchObject({ status: "received" });
  });

  it("an enqueue failure marks the row due at its arrival, so the sweeper re-sends it after SWEEP_AFTER", async () => {
    steps.enqueue = () => Promise.reject(new Error("Queue send failed"));
    const res = await fetchWithEnv(await signedRequest(samplePush()), {}, steps);
    const row = await eventRow(res.headers.get("Push-Event-Id") as string);
    expect(row).toMatchObject({ status: "received" });
    expect(row?.next_attempt_at).toBe(row?.received_at);
  });

  it("a sent follow-up costs no second write: the row stays never scheduled", async () => {
    const marked: string[] = [];
    steps.markDue = async (_db, eventId) => {
      marked.push(eventId);
    };
    const res = await fetchWithEnv(await signedRequest(samplePush()), {}, steps);
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(marked).toEqual([]);
    expect(await eventRow(res.headers.get("Push-Event-Id") as string)).toMatchObject({ next_attempt_at: null });
  });

  it("an enqueue failure whose mark fails too still answers 200, the row left for the lost-after rule", async () => {
    steps.enqueue = () => Promise.reject(new Error("Queue send failed"));
    steps.markDue = () => Promise.reject(new Error("D1 unavailable"));
    const res = await fetchWithEnv(await signedRequest(samplePush()), {}, steps);
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(await eventRow(res.headers.get("Push-Event-Id") as string)).toMatchObject({
      status: "received",
      next_attempt_at: null,
    });
  });

  it("a finish failure still answers 200; a later copy, past the hold, is told duplicate by D1", async () => {
    const push = samplePush();
    steps.finish = () => Promise.reject(new Error("Durable Object reset"));
    const first = await fetchWithEnv(await signedRequest(push), HOLD, steps);
    expect(first.headers.get("Push-Status")).toBe("accepted");
    Object.assign(steps, real);
    await wait(1100);
    const copy = await fetchWithEnv(await signedRequest(push), HOLD, steps);
    expect(copy.headers.get("Push-Status")).toBe("duplicate");
    expect(copy.headers.get("Push-Event-Id")).toBe(first.headers.get("Push-Event-Id"));
    expect(await countEvents("request_id = ?", push.request_id)).toBe(1);
  });

  it("claim shards that cannot be reached fall back on the D1 constraint: one row, duplicates told so", async () => {
    const push = samplePush();
    steps.begin = () => Promise.reject(new Error("Durable Object unavailable"));
    steps.finish = () => Promise.reject(new Error("Durable Object unavailable"));
    const first = await fetchWithEnv(await signedRequest(push), {}, steps);
    const second = await fetchWithEnv(await signedRequest(push), {}, steps);
    expect([first.headers.get("Push-Status"), second.headers.get("Push-Status")]).toEqual(["accepted", "duplicate"]);
    expect(first.headers.get("Push-Event-Id")).toBe(second.headers.get("Push-Event-Id"));
    expect(await countEvents("request_id = ?", push.request_id)).toBe(1);
  });
});

describe("which shard errors are asked again", () => {
  /** A begin step whose first shard call takes effect and then fails with `error`; counts the calls. */
  function beginFailingOnceWith(error: Error) {
    const counter = { calls: 0 };
    steps.begin = (namespace, ...args) => {
      const failingOnce = {
        idFromName: (name: string) => namespace.idFromName(name),
        get: (id: DurableObjectId) => {
          const stub = namespace.get(id);
          counter.calls += 1;
          if (counter.calls > 1) return stub;
          return {
            begin: async (...beginArgs: Parameters<typeof stub.begin>) => {
              await stub.begin(...beginArgs);
              throw error;
            },
          };
        },
      } as unknown as typeof namespace;
      return beginPush(failingOnce, ...args);
    };
    return counter;
  }

  it("a begin that took effect but lost its answer is asked again with the same ticket and goes on", async () => {
    const push = samplePush();
    // As the runtime reports a dropped connection: retryable, not overloaded.
    const counter = beginFailingOnceWith(Object.assign(new Error("Network connection lost."), { retryable: true }));
    const res = await fetchWithEnv(await signedRequest(push), {}, steps);
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(counter.calls).toBe(2);
  });

  it("an error the runtime does not mark retryable is not asked again, and D1 still stores the push once", async () => {
    const push = samplePush();
    const counter = beginFailingOnceWith(new Error("begin threw"));
    const res = await fetchWithEnv(await signedRequest(push), {}, steps);
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(counter.calls).toBe(1);
    expect(await countEvents("request_id = ?", push.request_id)).toBe(1);
  });

  it("an overloaded shard is not asked again, even when the error is marked retryable", async () => {
    const push = samplePush();
    const overloaded = Object.assign(new Error("Durable Object is overloaded."), { retryable: true, overloaded: true });
    const counter = beginFailingOnceWith(overloaded);
    const res = await fetchWithEnv(await signedRequest(push), {}, steps);
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(counter.calls).toBe(1);
  });

  it("a begin that failed after opening its ticket does not hold later copies off: its finish closes it", async () => {
    const push = samplePush();
    beginFailingOnceWith(new Error("begin threw after taking effect"));
    const first = await fetchWithEnv(await signedRequest(push), { CLAIM_LEASE_SECONDS: "30" }, steps);
    Object.assign(steps, real);
    const copy = await fetchWithEnv(await signedRequest(push), { CLAIM_LEASE_SECONDS: "30" }, steps);
    expect(copy.status).toBe(200);
    expect(copy.headers.get("Push-Event-Id")).toBe(first.headers.get("Push-Event-Id"));
  });
});

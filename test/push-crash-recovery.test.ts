/**
 * A crash between any two steps of the push path (claim, insert, commit, enqueue), followed by
 * Omisell's retry of the same bytes, ends with one row and one follow-up. A crash is simulated by
 * making every step after the crash point fail (and nothing given back), then ignoring the answer.
 */
import { afterEach, describe, expect, it } from "vitest";
import { claimPush } from "../src/dedupe/claims";
import { livePushSteps, type PushSteps } from "../src/push/ingest";
import { countEvents, eventRow, fetchWithEnv, samplePush, signedRequest } from "./helpers/push";

const real = livePushSteps;
/** The steps each request of a test is given: the real ones, with some replaced by fakes. */
const steps: PushSteps = { ...real };
const LEASE = { CLAIM_LEASE_SECONDS: "1" };
const STEPS = ["claim", "insert", "commit", "enqueue"] as const;
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

/** Every step after `lastDone` dies; the claim is not given back. */
function crashAfter(lastDone: Step) {
  const dead = STEPS.slice(STEPS.indexOf(lastDone) + 1);
  for (const step of dead) {
    steps[step] = (() => Promise.reject(new Error(`crashed before ${step}`))) as never;
  }
  steps.release = async () => {};
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
    ["after the claim", "claim", "accepted"],
    ["after the insert", "insert", "accepted"],
    ["after the enqueue (answer lost)", "enqueue", "duplicate"],
  ] as const)("%s: one row and one follow-up", async (_name, step, retryStatus) => {
    const push = samplePush("order.shipped");
    const sent = countEnqueues();
    crashAfter(step);
    await fetchWithEnv(await signedRequest(push), LEASE, steps);

    const counted = restore(sent);
    await wait(1100);
    const retry = await fetchWithEnv(await signedRequest(push), LEASE, steps);
    expect(retry.status).toBe(200);
    expect(retry.headers.get("Push-Status")).toBe(retryStatus);
    expect(await countEvents("request_id = ?", push.request_id)).toBe(1);
    expect(counted.all).toEqual([retry.headers.get("Push-Event-Id")]);

    const again = await fetchWithEnv(await signedRequest(push), LEASE, steps);
    expect(again.headers.get("Push-Status")).toBe("duplicate");
    expect(counted.all).toHaveLength(1);
  });

  it("after the commit: the retry is a duplicate and the row stays received for the cron sweeper", async () => {
    const push = samplePush("order.shipped");
    const sent = countEnqueues();
    crashAfter("commit");
    await fetchWithEnv(await signedRequest(push), LEASE, steps);

    const counted = restore(sent);
    await wait(50);
    const retry = await fetchWithEnv(await signedRequest(push), LEASE, steps);
    expect(retry.headers.get("Push-Status")).toBe("duplicate");
    expect(await countEvents("request_id = ?", push.request_id)).toBe(1);
    expect(counted.all).toEqual([]);
    expect(await eventRow(retry.headers.get("Push-Event-Id") as string)).toMatchObject({ status: "received" });
  });

  it("a retry inside the lease is told to come back (409), and nothing is stored twice", async () => {
    const push = samplePush();
    crashAfter("claim");
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
  it("an insert failure answers 503 with Retry-After and gives the claim back, so the retry succeeds at once", async () => {
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

  it("a claim release that throws at once still answers 503, not 500", async () => {
    steps.insert = () => Promise.reject(new Error("D1_ERROR: database is locked"));
    steps.release = () => {
      throw new Error("stub threw synchronously");
    };
    const res = await fetchWithEnv(await signedRequest(samplePush()), {}, steps);
    expect(res.status).toBe(503);
  });

  it("an enqueue failure still answers 200: the row is received and the sweeper re-enqueues it", async () => {
    const push = samplePush();
    steps.enqueue = () => Promise.reject(new Error("Queue send failed"));
    const res = await fetchWithEnv(await signedRequest(push), {}, steps);
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(await eventRow(res.headers.get("Push-Event-Id") as string)).toMatchObject({ status: "received" });
  });

  it("a commit failure still answers 200; a later copy takes the lease over and is told duplicate", async () => {
    const push = samplePush();
    steps.commit = () => Promise.reject(new Error("Durable Object reset"));
    const first = await fetchWithEnv(await signedRequest(push), LEASE, steps);
    expect(first.headers.get("Push-Status")).toBe("accepted");
    Object.assign(steps, real);
    await wait(1100);
    const copy = await fetchWithEnv(await signedRequest(push), LEASE, steps);
    expect(copy.headers.get("Push-Status")).toBe("accepted");
    expect(copy.headers.get("Push-Event-Id")).toBe(first.headers.get("Push-Event-Id"));
    expect(await countEvents("request_id = ?", push.request_id)).toBe(1);
  });

  it("claim shards that cannot be reached fall back on the D1 constraint: one row, duplicates told so", async () => {
    const push = samplePush();
    steps.claim = () => Promise.reject(new Error("Durable Object storage unavailable"));
    steps.commit = () => Promise.reject(new Error("Durable Object storage unavailable"));
    const first = await fetchWithEnv(await signedRequest(push), {}, steps);
    const second = await fetchWithEnv(await signedRequest(push), {}, steps);
    expect([first.headers.get("Push-Status"), second.headers.get("Push-Status")]).toEqual(["accepted", "duplicate"]);
    expect(await countEvents("request_id = ?", push.request_id)).toBe(1);
  });

  it("a claim that was written but whose answer was lost is retried with the same token and goes on", async () => {
    const push = samplePush();
    let calls = 0;
    steps.claim = (namespace, ...args) => {
      const writeThenLose = {
        idFromName: (name: string) => namespace.idFromName(name),
        get: (id: DurableObjectId) => {
          const stub = namespace.get(id);
          calls += 1;
          if (calls > 1) return stub;
          return {
            claim: async (...claimArgs: Parameters<typeof stub.claim>) => {
              await stub.claim(...claimArgs);
              // As the runtime reports a dropped connection: retryable, not overloaded.
              throw Object.assign(new Error("Network connection lost."), { retryable: true });
            },
          };
        },
      } as unknown as typeof namespace;
      return claimPush(writeThenLose, ...args);
    };
    const res = await fetchWithEnv(await signedRequest(push), {}, steps);
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(calls).toBe(2);
  });
});

describe("which claim errors are asked again", () => {
  /** A claim step whose first shard call is written and then fails with `error`; counts the calls. */
  function claimFailingOnceWith(error: Error) {
    const counter = { calls: 0 };
    steps.claim = (namespace, ...args) => {
      const failingOnce = {
        idFromName: (name: string) => namespace.idFromName(name),
        get: (id: DurableObjectId) => {
          const stub = namespace.get(id);
          counter.calls += 1;
          if (counter.calls > 1) return stub;
          return {
            claim: async (...claimArgs: Parameters<typeof stub.claim>) => {
              await stub.claim(...claimArgs);
              throw error;
            },
          };
        },
      } as unknown as typeof namespace;
      return claimPush(failingOnce, ...args);
    };
    return counter;
  }

  it("an error the runtime does not mark retryable is not asked again, and D1 still stores the push once", async () => {
    const push = samplePush();
    const counter = claimFailingOnceWith(new Error("claim threw"));
    const res = await fetchWithEnv(await signedRequest(push), {}, steps);
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(counter.calls).toBe(1);
    expect(await countEvents("request_id = ?", push.request_id)).toBe(1);
  });

  it("an overloaded shard is not asked again, even when the error is marked retryable", async () => {
    const push = samplePush();
    const overloaded = Object.assign(new Error("Durable Object is overloaded."), { retryable: true, overloaded: true });
    const counter = claimFailingOnceWith(overloaded);
    const res = await fetchWithEnv(await signedRequest(push), {}, steps);
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(counter.calls).toBe(1);
  });
});

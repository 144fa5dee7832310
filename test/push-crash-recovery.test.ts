/**
 * A crash between any two steps of the push path (claim, insert, commit, enqueue), followed by
 * Omisell's retry of the same bytes, ends with one row and one follow-up. A crash is simulated by
 * making every step after the crash point fail (and nothing given back), then ignoring the answer.
 */
import { afterEach, describe, expect, it } from "vitest";
import { claimPush } from "../src/dedupe/claims";
import { pushSteps } from "../src/push/ingest";
import { countEvents, eventRow, fetchWithEnv, samplePush, signedRequest } from "./helpers/push";

const real = { ...pushSteps };
const LEASE = { CLAIM_LEASE_SECONDS: "1" };
const STEPS = ["claim", "insert", "commit", "enqueue"] as const;
type Step = (typeof STEPS)[number];

afterEach(() => {
  Object.assign(pushSteps, real);
});

/** Counts follow-ups sent per event id, through the real queue. */
function countEnqueues() {
  const sent: string[] = [];
  pushSteps.enqueue = async (queue, eventId, reason) => {
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
    pushSteps[step] = (() => Promise.reject(new Error(`crashed before ${step}`))) as never;
  }
  pushSteps.release = async () => {};
}

function restore(sent: string[]) {
  Object.assign(pushSteps, real);
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
    await fetchWithEnv(await signedRequest(push), LEASE);

    const counted = restore(sent);
    await wait(1100);
    const retry = await fetchWithEnv(await signedRequest(push), LEASE);
    expect(retry.status).toBe(200);
    expect(retry.headers.get("Push-Status")).toBe(retryStatus);
    expect(await countEvents("request_id = ?", push.request_id)).toBe(1);
    expect(counted.all).toEqual([retry.headers.get("Push-Event-Id")]);

    const again = await fetchWithEnv(await signedRequest(push), LEASE);
    expect(again.headers.get("Push-Status")).toBe("duplicate");
    expect(counted.all).toHaveLength(1);
  });

  it("after the commit: the retry is a duplicate and the row stays received for the cron sweeper", async () => {
    const push = samplePush("order.shipped");
    const sent = countEnqueues();
    crashAfter("commit");
    await fetchWithEnv(await signedRequest(push), LEASE);

    const counted = restore(sent);
    await wait(50);
    const retry = await fetchWithEnv(await signedRequest(push), LEASE);
    expect(retry.headers.get("Push-Status")).toBe("duplicate");
    expect(await countEvents("request_id = ?", push.request_id)).toBe(1);
    expect(counted.all).toEqual([]);
    expect(await eventRow(retry.headers.get("Push-Event-Id") as string)).toMatchObject({ status: "received" });
  });

  it("a retry inside the lease is told to come back (409), and nothing is stored twice", async () => {
    const push = samplePush();
    crashAfter("claim");
    const crashed = await fetchWithEnv(await signedRequest(push), { CLAIM_LEASE_SECONDS: "30" });
    expect(crashed.status).toBe(503);
    Object.assign(pushSteps, real);
    const early = await fetchWithEnv(await signedRequest(push), { CLAIM_LEASE_SECONDS: "30" });
    expect(early.status).toBe(409);
    expect(Number(early.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await countEvents("request_id = ?", push.request_id)).toBe(0);
  });
});

describe("failures the worker survives", () => {
  it("an insert failure answers 503 with Retry-After and gives the claim back, so the retry succeeds at once", async () => {
    const push = samplePush();
    pushSteps.insert = () => Promise.reject(new Error("D1_ERROR: database is locked"));
    const failed = await fetchWithEnv(await signedRequest(push), {});
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ error: "storage_unavailable" });
    expect(failed.headers.get("Retry-After")).toBe("5");
    Object.assign(pushSteps, real);
    const retry = await fetchWithEnv(await signedRequest(push), {});
    expect(retry.headers.get("Push-Status")).toBe("accepted");
  });

  it("a claim release that throws at once still answers 503, not 500", async () => {
    pushSteps.insert = () => Promise.reject(new Error("D1_ERROR: database is locked"));
    pushSteps.release = () => {
      throw new Error("stub threw synchronously");
    };
    const res = await fetchWithEnv(await signedRequest(samplePush()), {});
    expect(res.status).toBe(503);
  });

  it("an enqueue failure still answers 200: the row is received and the sweeper re-enqueues it", async () => {
    const push = samplePush();
    pushSteps.enqueue = () => Promise.reject(new Error("Queue send failed"));
    const res = await fetchWithEnv(await signedRequest(push), {});
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(await eventRow(res.headers.get("Push-Event-Id") as string)).toMatchObject({ status: "received" });
  });

  it("a commit failure still answers 200; a later copy takes the lease over and is told duplicate", async () => {
    const push = samplePush();
    pushSteps.commit = () => Promise.reject(new Error("Durable Object reset"));
    const first = await fetchWithEnv(await signedRequest(push), LEASE);
    expect(first.headers.get("Push-Status")).toBe("accepted");
    Object.assign(pushSteps, real);
    await wait(1100);
    const copy = await fetchWithEnv(await signedRequest(push), LEASE);
    expect(copy.headers.get("Push-Status")).toBe("accepted");
    expect(copy.headers.get("Push-Event-Id")).toBe(first.headers.get("Push-Event-Id"));
    expect(await countEvents("request_id = ?", push.request_id)).toBe(1);
  });

  it("claim shards that cannot be reached fall back on the D1 constraint: one row, duplicates told so", async () => {
    const push = samplePush();
    pushSteps.claim = () => Promise.reject(new Error("Durable Object storage unavailable"));
    pushSteps.commit = () => Promise.reject(new Error("Durable Object storage unavailable"));
    const first = await fetchWithEnv(await signedRequest(push), {});
    const second = await fetchWithEnv(await signedRequest(push), {});
    expect([first.headers.get("Push-Status"), second.headers.get("Push-Status")]).toEqual(["accepted", "duplicate"]);
    expect(await countEvents("request_id = ?", push.request_id)).toBe(1);
  });

  it("a claim that was written but whose answer was lost is retried with the same token and goes on", async () => {
    const push = samplePush();
    let calls = 0;
    pushSteps.claim = (namespace, ...args) => {
      const writeThenLose = {
        idFromName: (name: string) => namespace.idFromName(name),
        get: (id: DurableObjectId) => {
          const stub = namespace.get(id);
          calls += 1;
          if (calls > 1) return stub;
          return {
            claim: async (...claimArgs: Parameters<typeof stub.claim>) => {
              await stub.claim(...claimArgs);
              throw new Error("Network connection lost.");
            },
          };
        },
      } as unknown as typeof namespace;
      return claimPush(writeThenLose, ...args);
    };
    const res = await fetchWithEnv(await signedRequest(push), {});
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(calls).toBe(2);
  });
});

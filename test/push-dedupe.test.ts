/**
 * Dedupe: the claim/commit protocol of the ClaimShard Durable Object, the client's one retry
 * with a fresh stub, and concurrent copies of one push through the real endpoint.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ClaimShard } from "../src/dedupe/claim-shard";
import { CLAIM_SHARD_COUNT, claimPush, commitPush, isRetryable, shardFor } from "../src/dedupe/claims";
import { countEvents, eventRow, samplePush, sendPush } from "./helpers/push";

function shard(name = `test-shard-${crypto.randomUUID()}`) {
  return env.CLAIMS.get(env.CLAIMS.idFromName(name));
}

describe("ClaimShard", () => {
  it("gives a fresh key to the first claimant, with its event id", async () => {
    await runInDurableObject(shard(), (instance: ClaimShard) => {
      expect(instance.claim("k", "t1", "E1", 30_000)).toEqual({ state: "claimed", eventId: "E1", takeover: false });
    });
  });

  it("tells a second claimant the push is in flight while the lease runs, with the time left", async () => {
    await runInDurableObject(shard(), (instance: ClaimShard) => {
      instance.claim("k", "t1", "E1", 30_000);
      const second = instance.claim("k", "t2", "E2", 30_000);
      expect(second).toMatchObject({ state: "in_flight", eventId: "E1" });
      expect(second.state === "in_flight" && second.retryAfterMs).toBeGreaterThan(29_000);
    });
  });

  it("answers a repeated claim with the same token the same way", async () => {
    await runInDurableObject(shard(), (instance: ClaimShard) => {
      const first = instance.claim("k", "t1", "E1", 30_000);
      expect(instance.claim("k", "t1", "E-other", 30_000)).toEqual(first);
    });
  });

  it("lets a claimant take over an expired lease, under its own event id (its arrival time)", async () => {
    await runInDurableObject(shard(), async (instance: ClaimShard) => {
      instance.claim("k", "t1", "E1", 1);
      await new Promise((r) => setTimeout(r, 5));
      expect(instance.claim("k", "t2", "E2", 30_000)).toEqual({ state: "claimed", eventId: "E2", takeover: true });
      expect(instance.claim("k", "t3", "E3", 30_000)).toMatchObject({ state: "in_flight", eventId: "E2" });
    });
  });

  it("reports a committed claim to every later claimant", async () => {
    await runInDurableObject(shard(), (instance: ClaimShard) => {
      instance.claim("k", "t1", "E1", 30_000);
      instance.commit("k", "E1", 60_000);
      expect(instance.claim("k", "t2", "E2", 30_000)).toEqual({ state: "committed", eventId: "E1" });
      instance.commit("k", "E1", 60_000);
      expect(instance.inspect("k")).toMatchObject({ status: "committed", event_id: "E1" });
    });
  });

  it("releases a pending claim only for the token that holds it", async () => {
    await runInDurableObject(shard(), (instance: ClaimShard) => {
      instance.claim("k", "t1", "E1", 30_000);
      instance.release("k", "t2");
      expect(instance.inspect("k")).not.toBeNull();
      instance.release("k", "t1");
      expect(instance.inspect("k")).toBeNull();
    });
  });

  it("sweeps expired claims with its alarm and keeps live ones", async () => {
    const stub = shard();
    await runInDurableObject(stub, (instance: ClaimShard) => {
      instance.commit("old", "E1", 20);
      instance.commit("live", "E2", 3_600_000);
      expect(instance.inspect("old")).not.toBeNull();
    });
    await new Promise((r) => setTimeout(r, 60));
    // The alarm may already have fired on its own; either way it must have swept "old" only.
    await runDurableObjectAlarm(stub);
    await runInDurableObject(stub, (instance: ClaimShard) => {
      expect(instance.inspect("old")).toBeNull();
      expect(instance.inspect("live")).not.toBeNull();
    });
  });
});

describe("shard choice", () => {
  it("is stable for a key and spreads keys over every shard", () => {
    expect(shardFor("abc")).toBe(shardFor("abc"));
    const used = new Set(Array.from({ length: 2000 }, (_, i) => shardFor(`request-${i}`)));
    expect(used.size).toBe(CLAIM_SHARD_COUNT);
  });
});

describe("calls that fail without telling whether they took effect", () => {
  /** As the runtime reports a dropped connection or a reset: `retryable`. */
  const retryable = (message: string) => Object.assign(new Error(message), { retryable: true });
  type Namespace = Parameters<typeof claimPush>[0];

  /** A namespace whose first `failures` stubs throw, the rest reach the real shard. */
  function flakyNamespace(failures: number, error: Error) {
    let handedOut = 0;
    const stubs: string[] = [];
    const namespace = {
      idFromName: (name: string) => env.CLAIMS.idFromName(name),
      get: (id: DurableObjectId) => {
        handedOut += 1;
        stubs.push(id.toString());
        const real = env.CLAIMS.get(id);
        if (handedOut > failures) return real;
        return {
          claim: () => Promise.reject(error),
          commit: () => Promise.reject(error),
          release: () => Promise.reject(error),
        };
      },
    } as unknown as Namespace;
    return { namespace, stubs };
  }

  it("are retried once with a fresh stub", async () => {
    const { namespace, stubs } = flakyNamespace(1, retryable("Network connection lost."));
    const key = `k-${crypto.randomUUID()}`;
    expect(await claimPush(namespace, key, "t", "E1", 30_000)).toMatchObject({ state: "claimed", eventId: "E1" });
    expect(stubs).toHaveLength(2);
  });

  it("fail after the second attempt", async () => {
    const { namespace } = flakyNamespace(2, retryable("Durable Object reset because its code was updated."));
    await expect(commitPush(namespace, "k", "E1", 1000)).rejects.toThrow(/reset/);
  });

  it("are not retried when the object is overloaded", async () => {
    const overloaded = Object.assign(retryable("Durable Object is overloaded."), { overloaded: true });
    const { namespace, stubs } = flakyNamespace(1, overloaded);
    await expect(claimPush(namespace, "k", "t", "E1", 30_000)).rejects.toThrow(/overloaded/);
    expect(stubs).toHaveLength(1);
  });

  it("are not retried when the runtime does not mark the error retryable", async () => {
    const { namespace, stubs } = flakyNamespace(1, new Error("claim threw: a bug, not a lost connection"));
    await expect(claimPush(namespace, "k", "t", "E1", 30_000)).rejects.toThrow(/bug/);
    expect(stubs).toHaveLength(1);
  });

  it("count as retryable only when marked retryable and not overloaded", () => {
    expect(isRetryable(retryable("x"))).toBe(true);
    expect(isRetryable(Object.assign(retryable("x"), { overloaded: true }))).toBe(false);
    expect(isRetryable(new Error("x"))).toBe(false);
    expect(isRetryable(Object.assign(new Error("x"), { retryable: "yes" }))).toBe(false);
    expect(isRetryable("Network connection lost.")).toBe(false);
  });
});

describe("concurrent copies of one push", () => {
  it("create one row, and no copy is answered 200 before that row is in D1", async () => {
    const push = samplePush("order.created");
    const answers = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const res = await sendPush(push);
        const id = res.headers.get("Push-Event-Id");
        // Checked the moment the answer arrives: a 200 must point at a stored row.
        const durable = id ? (await eventRow(id)) !== null : false;
        return {
          status: res.status,
          pushStatus: res.headers.get("Push-Status"),
          id,
          durable,
          retryAfter: res.headers.get("Retry-After"),
        };
      }),
    );
    expect(await countEvents("request_id = ?", push.request_id)).toBe(1);
    const ok = answers.filter((a) => a.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    expect(ok.filter((a) => a.pushStatus === "accepted")).toHaveLength(1);
    expect(new Set(ok.map((a) => a.id)).size).toBe(1);
    expect(ok.every((a) => a.durable)).toBe(true);
    for (const other of answers.filter((a) => a.status !== 200)) {
      expect(other.status).toBe(409);
      expect(Number(other.retryAfter)).toBeGreaterThanOrEqual(1);
    }
  });

  it("each get an answer after the first is durable: every retry then says duplicate", async () => {
    const push = samplePush("shipment.created");
    await Promise.all(Array.from({ length: 10 }, () => sendPush(push)));
    const retries = await Promise.all(Array.from({ length: 10 }, () => sendPush(push)));
    expect(retries.map((r) => r.headers.get("Push-Status"))).toEqual(Array(10).fill("duplicate"));
  });

  it("of different pushes are all accepted", async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => sendPush(samplePush())));
    expect(answers.map((a) => a.headers.get("Push-Status"))).toEqual(Array(30).fill("accepted"));
  });
});

/**
 * Dedupe: the in-memory ClaimShard Durable Object (first copy, seen, wait; no storage written),
 * the client's one retry with a fresh stub, and concurrent copies of one push through the real
 * endpoint.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type ClaimShard, SEEN_CAPACITY } from "../src/dedupe/claim-shard";
import { beginPush, CLAIM_SHARD_COUNT, finishPush, isRetryable, shardFor } from "../src/dedupe/claims";
import { countEvents, eventRow, samplePush, sendPush } from "./helpers/push";

function shard(name = `test-shard-${crypto.randomUUID()}`) {
  return env.CLAIMS.get(env.CLAIMS.idFromName(name));
}

const STORED = (eventId: string) => ({ stored: true as const, eventId });

describe("ClaimShard", () => {
  it("lets the first copy of a key go on", async () => {
    await runInDurableObject(shard(), async (instance: ClaimShard) => {
      expect(await instance.begin("k", "t1", 30_000)).toEqual({ kind: "first" });
    });
  });

  it("answers a repeated begin with the same ticket the same way", async () => {
    await runInDurableObject(shard(), async (instance: ClaimShard) => {
      await instance.begin("k", "t1", 30_000);
      expect(await instance.begin("k", "t1", 30_000)).toEqual({ kind: "first" });
    });
  });

  it("makes a copy in flight wait for the first copy's outcome, then tells it the stored id", async () => {
    await runInDurableObject(shard(), async (instance: ClaimShard) => {
      await instance.begin("k", "t1", 30_000);
      const second = instance.begin("k", "t2", 30_000);
      await new Promise((r) => setTimeout(r, 20));
      instance.finish("k", "t1", STORED("E1"));
      expect(await second).toEqual({ kind: "seen", eventId: "E1" });
    });
  });

  it("tells a waiting copy to retry when the first copy failed to store", async () => {
    await runInDurableObject(shard(), async (instance: ClaimShard) => {
      await instance.begin("k", "t1", 30_000);
      const second = instance.begin("k", "t2", 30_000);
      instance.finish("k", "t1", { stored: false });
      expect(await second).toMatchObject({ kind: "wait" });
      expect(await instance.begin("k", "t3", 30_000)).toEqual({ kind: "first" });
    });
  });

  it("tells a copy to retry, with the hold left, when the first copy does not finish in time", async () => {
    await runInDurableObject(shard(), async (instance: ClaimShard) => {
      await instance.begin("k", "t1", 30_000);
      const started = Date.now();
      const second = await instance.begin("k", "t2", 30_000);
      expect(second.kind).toBe("wait");
      expect(second.kind === "wait" && second.retryAfterMs).toBeGreaterThan(25_000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    });
  });

  it("lets a copy take the key over when the first copy's hold ran out (it crashed)", async () => {
    await runInDurableObject(shard(), async (instance: ClaimShard) => {
      await instance.begin("k", "t1", 1);
      await new Promise((r) => setTimeout(r, 5));
      expect(await instance.begin("k", "t2", 30_000)).toEqual({ kind: "first" });
      instance.finish("k", "t1", { stored: false });
      expect(instance.inspect("k")).toEqual({ inFlight: true, eventId: null });
    });
  });

  it("answers later copies from memory once stored", async () => {
    await runInDurableObject(shard(), async (instance: ClaimShard) => {
      await instance.begin("k", "t1", 30_000);
      instance.finish("k", "t1", STORED("E1"));
      expect(await instance.begin("k", "t2", 30_000)).toEqual({ kind: "seen", eventId: "E1" });
    });
  });

  it("remembers a stored outcome even for a ticket it lost (memory vanished meanwhile)", async () => {
    await runInDurableObject(shard(), async (instance: ClaimShard) => {
      instance.finish("k", "unknown-ticket", STORED("E1"));
      expect(await instance.begin("k", "t2", 30_000)).toEqual({ kind: "seen", eventId: "E1" });
    });
  });

  it("forgets the least recently used key beyond its capacity", async () => {
    await runInDurableObject(shard(), async (instance: ClaimShard) => {
      for (let i = 0; i <= SEEN_CAPACITY; i++) instance.finish(`k${i}`, "t", STORED(`E${i}`));
      expect(instance.inspect("k0").eventId).toBeNull();
      expect(instance.inspect("k1").eventId).toBe("E1");
      expect(instance.inspect(`k${SEEN_CAPACITY}`).eventId).toBe(`E${SEEN_CAPACITY}`);
    });
  });

  it("writes nothing to its storage on begin and finish", async () => {
    await runInDurableObject(shard(), async (instance: ClaimShard, state) => {
      await instance.begin("k", "t1", 30_000);
      instance.finish("k", "t1", STORED("E1"));
      expect(state.storage.sql.databaseSize).toBeLessThanOrEqual(8192);
      expect((await state.storage.list()).size).toBe(0);
      expect(await state.storage.getAlarm()).toBeNull();
    });
  });

  it("deletes what an earlier version left in its storage when an old alarm fires", async () => {
    const stub = shard();
    await runInDurableObject(stub, async (instance: ClaimShard, state) => {
      state.storage.sql.exec("CREATE TABLE claims (key TEXT PRIMARY KEY)");
      state.storage.sql.exec("INSERT INTO claims VALUES ('old')");
      await instance.alarm();
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'claims'").toArray()).toEqual([]);
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
  type Namespace = Parameters<typeof beginPush>[0];

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
        return { begin: () => Promise.reject(error), finish: () => Promise.reject(error) };
      },
    } as unknown as Namespace;
    return { namespace, stubs };
  }

  it("are retried once with a fresh stub", async () => {
    const { namespace, stubs } = flakyNamespace(1, retryable("Network connection lost."));
    const key = `k-${crypto.randomUUID()}`;
    expect(await beginPush(namespace, key, "t", 30_000)).toEqual({ kind: "first" });
    expect(stubs).toHaveLength(2);
  });

  it("fail after the second attempt", async () => {
    const { namespace } = flakyNamespace(2, retryable("Durable Object reset because its code was updated."));
    await expect(finishPush(namespace, "k", "t", { stored: false })).rejects.toThrow(/reset/);
  });

  it("are not retried when the object is overloaded", async () => {
    const overloaded = Object.assign(retryable("Durable Object is overloaded."), { overloaded: true });
    const { namespace, stubs } = flakyNamespace(1, overloaded);
    await expect(beginPush(namespace, "k", "t", 30_000)).rejects.toThrow(/overloaded/);
    expect(stubs).toHaveLength(1);
  });

  it("are not retried when the runtime does not mark the error retryable", async () => {
    const { namespace, stubs } = flakyNamespace(1, new Error("claim threw: a bug, not a lost connection"));
    await expect(beginPush(namespace, "k", "t", 30_000)).rejects.toThrow(/bug/);
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

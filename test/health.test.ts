/** GET /health: a trivial D1 query proves the database answers; no token needed. */
import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";

describe("GET /health", () => {
  it("answers 200 {status: ok} when D1 answers", async () => {
    const res = await exports.default.fetch("https://omisell-push.example.workers.dev/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("answers 503 when D1 fails", async () => {
    const brokenDb = {
      prepare: () => ({ first: () => Promise.reject(new Error("D1_ERROR: database unavailable")) }),
    } as unknown as D1Database;
    const res = await worker.fetch(
      new Request("https://omisell-push.example.workers.dev/health"),
      { ...env, DB: brokenDb } as Env,
      createExecutionContext(),
    );
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "unavailable", error: "database_unavailable" });
  });
});

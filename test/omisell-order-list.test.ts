/**
 * One page of Omisell's order list through the client: the path and query sent as given, with
 * the credentials, and a busy budget (429) waited out a few times before the window fails.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { fail, ok } from "../src/lib/result";
import type { OmisellAuth } from "../src/omisell/client";
import { fetchOrderListPage } from "../src/omisell/order-list";
import { noLimiter, stubOmisell } from "./helpers/followup";

const connection = {
  base: "https://api.omisell.test",
  timeoutMs: 1000,
  limiter: noLimiter,
  priority: "reconcile" as const,
};
const auth: OmisellAuth = {
  headers: async () => ok({ authorization: "Account list-key" }),
  reauthenticate: async () => false,
};
const PAGE = "/api/v2/public/order/list?updated_from=1&updated_to=2&page=1";
const listAnswer = () => Response.json({ data: { count: 0, next: null, results: [] }, error: false });
const busy = (seconds: number) => new Response("busy", { status: 429, headers: { "retry-after": String(seconds) } });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("fetchOrderListPage", () => {
  it("asks for the page with the credentials and hands back Omisell's data", async () => {
    const calls = stubOmisell(() => listAnswer());

    const result = await fetchOrderListPage(connection, auth, PAGE);

    expect(result).toEqual(ok({ count: 0, next: null, results: [] }));
    expect(calls.map((call) => call.url)).toEqual([`https://api.omisell.test${PAGE}`]);
    expect(calls[0]?.headers.get("authorization")).toBe("Account list-key");
  });

  it("waits out a short 429 and asks again", async () => {
    const answers = [busy(2), listAnswer()];
    stubOmisell(() => answers.shift() ?? listAnswer());
    const waits: number[] = [];

    const result = await fetchOrderListPage(connection, auth, PAGE, async (ms) => {
      waits.push(ms);
    });

    expect(result.ok).toBe(true);
    expect(waits).toEqual([2000]);
  });

  it("gives up after four throttled answers, handing back the throttled failure", async () => {
    const calls = stubOmisell(() => busy(1));
    const result = await fetchOrderListPage(connection, auth, PAGE, async () => {});

    expect(calls).toHaveLength(4);
    expect(result).toMatchObject(fail({ kind: "throttled" }));
  });

  it("does not wait for a pause longer than 20 seconds", async () => {
    const calls = stubOmisell(() => busy(120));
    const waits: number[] = [];
    const result = await fetchOrderListPage(connection, auth, PAGE, async (ms) => {
      waits.push(ms);
    });

    expect(calls).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(result).toMatchObject(fail({ kind: "throttled", retryAfterSeconds: 120 }));
  });

  it("does not ask again after a failure that is not throttling", async () => {
    const calls = stubOmisell(() => new Response("down", { status: 503 }));
    const result = await fetchOrderListPage(connection, auth, PAGE, async () => {});

    expect(calls).toHaveLength(1);
    expect(result).toMatchObject(fail({ kind: "retryable", status: 503 }));
  });
});

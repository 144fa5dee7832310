/** `npm run reconcile`: starts a run over the last N minutes and waits for it, against a fake worker. */
import { afterEach, describe, expect, it } from "vitest";
import { reconcile } from "../../scripts/reconcile.ts";
import { json, startFakeWorker } from "./fake-worker";

let worker: Awaited<ReturnType<typeof startFakeWorker>> | undefined;
afterEach(async () => {
  await worker?.close();
  worker = undefined;
});

type Run = {
  id: string;
  status: string;
  orders_listed: number;
  missed: number;
  error: string | null;
  listed_to?: number | null;
};

/** A worker whose run `run-1` reports `running` for `pollsRunning` polls, then `final`. */
async function workerWith(final: Partial<Run>, pollsRunning = 2, wrap = (runs: Run[]): unknown => ({ runs })) {
  let polls = 0;
  worker = await startFakeWorker((req, _body, res) => {
    if (req.headers.authorization !== "Bearer admin-token") return json(res, 401, { error: "unauthorized" });
    if (req.method === "POST" && req.url === "/api/reconcile") return json(res, 202, { run_id: "run-1" });
    if (req.method === "GET" && req.url?.startsWith("/api/reconcile/runs")) {
      polls += 1;
      const status = polls <= pollsRunning ? "running" : "done";
      const listed_to = status === "running" ? 1_000 * polls : null;
      const runs: Run[] = [
        {
          id: "run-1",
          status,
          orders_listed: 0,
          missed: 0,
          error: null,
          listed_to,
          ...(status === "done" ? final : {}),
        },
        { id: "run-0", status: "done", orders_listed: 9, missed: 9, error: null },
      ];
      return json(res, 200, wrap(runs));
    }
    json(res, 404, { error: "not_found" });
  });
  return worker;
}

describe("npm run reconcile", () => {
  it("posts the last N minutes in ms with the admin token", async () => {
    const { url, requests } = await workerWith({}, 0);
    await reconcile({
      url,
      token: "admin-token",
      minutes: 30,
      now: () => 1_800_000_000_000,
      intervalMs: 10,
      log: () => {},
    });
    expect(requests[0]).toMatchObject({ method: "POST", url: "/api/reconcile", authorization: "Bearer admin-token" });
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({ from: 1_800_000_000_000 - 1_800_000, to: 1_800_000_000_000 });
  });

  it("polls the runs until its own run is done and returns it", async () => {
    const { url, requests } = await workerWith({ orders_listed: 20, missed: 4 }, 2);
    const run = await reconcile({ url, token: "admin-token", intervalMs: 10, log: () => {} });
    expect(run).toMatchObject({ id: "run-1", status: "done", orders_listed: 20, missed: 4 });
    expect(requests.filter((r) => r.url === "/api/reconcile/runs?limit=200")).toHaveLength(3);
  });

  it("prints the run's progress while it is being listed", async () => {
    const { url } = await workerWith({}, 2);
    const lines: string[] = [];
    await reconcile({ url, token: "admin-token", intervalMs: 10, log: (line) => lines.push(line) });
    expect(lines.filter((line) => line.includes("listed up to"))).toEqual([
      "  listed up to 1970-01-01T00:00:01.000Z",
      "  listed up to 1970-01-01T00:00:02.000Z",
    ]);
  });

  it("reads a runs list given bare as well as under runs", async () => {
    const { url } = await workerWith({ missed: 1 }, 0, (runs) => runs);
    expect((await reconcile({ url, token: "admin-token", intervalMs: 10, log: () => {} })).missed).toBe(1);
  });

  it("returns a failed run with its error", async () => {
    const { url } = await workerWith({ status: "failed", error: "order list answered 500" }, 0);
    const run = await reconcile({ url, token: "admin-token", intervalMs: 10, log: () => {} });
    expect(run).toMatchObject({ status: "failed", error: "order list answered 500" });
  });

  it("gives up after the timeout while the run is still running", async () => {
    const { url } = await workerWith({}, 1_000);
    await expect(
      reconcile({ url, token: "admin-token", intervalMs: 20, timeoutMs: 100, log: () => {} }),
    ).rejects.toThrow(/not finished/);
  });

  it("says what the worker answered when the token is refused", async () => {
    const { url } = await workerWith({}, 0);
    await expect(reconcile({ url, token: "read-token", log: () => {} })).rejects.toThrow(/401.*unauthorized/);
  });

  it("accepts the callback URL in place of the worker's base URL", async () => {
    const { url, requests } = await workerWith({}, 0);
    await reconcile({ url: `${url}/webhooks/omisell`, token: "admin-token", intervalMs: 10, log: () => {} });
    expect(requests[0]?.url).toBe("/api/reconcile");
  });
});

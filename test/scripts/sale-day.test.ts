/**
 * The sale day of simulate, the bench and the e2e test: its plan (pure), the stand-in's other tool
 * spending a share of the bucket, orders told in bulk, and `npm run simulate -- --sale-day` end to
 * end against a fake worker and the in-process stand-in.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { knownOrderNumber, newOrderNumber, planSaleDay, seedKnownOrdersSql } from "../../scripts/lib/sale-day.ts";
import { startOmisellStandin } from "../../scripts/omisell-standin.ts";
import { json, startFakeWorker } from "./fake-worker";

const run = promisify(execFile);
const shape = { runId: "r1", known: 10, changesPerKnown: 3, fresh: 4, hourMs: 60_000, bulk: 10, followUpMs: 1_500 };

describe("the sale day's plan", () => {
  it("has every change: each known order 3 times, each new order created then changed", () => {
    const changes = planSaleDay(shape);
    expect(changes).toHaveLength(10 * 3 + 4 * 2);
    const known = changes.filter((c) => !c.isNew);
    expect(new Set(known.map((c) => c.orderNumber)).size).toBe(10);
    for (let i = 0; i < 10; i++) {
      expect(known.filter((c) => c.orderNumber === knownOrderNumber("r1", i)).map((c) => c.statusName)).toEqual([
        "Processing",
        "Ready To Ship",
        "Shipped",
      ]);
    }
    const first = changes.filter((c) => c.orderNumber === newOrderNumber("r1", 0));
    expect(first.map((c) => c.event)).toEqual(["order.created", "order.processing"]);
    expect((first[1]?.atMs ?? 0) - (first[0]?.atMs ?? 0)).toBe(1_500);
  });

  it("puts the known orders' changes in bulk actions spread over the hour, in time order", () => {
    const changes = planSaleDay(shape);
    const waves = [...new Set(changes.filter((c) => !c.isNew).map((c) => c.atMs))];
    expect(waves).toEqual([10_000, 30_000, 50_000]);
    expect(changes.map((c) => c.atMs)).toEqual(changes.map((c) => c.atMs).toSorted((a, b) => a - b));
    const even = planSaleDay({ ...shape, bulk: 1 });
    expect(new Set(even.filter((c) => !c.isNew).map((c) => c.atMs)).size).toBe(30);
  });

  it("seeds the known orders' details with SQL, quotes doubled", () => {
    const sql = seedKnownOrdersSql(["OM'1", "OM2"], 1_000);
    expect(sql).toContain("INSERT OR IGNORE INTO resources");
    expect(sql).toContain("'OM''1'");
    expect(sql).toContain(", 1000, NULL)");
  });
});

describe("the stand-in on a sale day", () => {
  let standin: Awaited<ReturnType<typeof startOmisellStandin>>;
  beforeAll(async () => {
    standin = await startOmisellStandin({ port: 0 });
  });
  afterAll(async () => {
    await standin.close();
  });
  beforeEach(async () => {
    await fetch(`${standin.url}/__standin/reset`, {
      method: "POST",
      body: JSON.stringify({ knobs: true, orders: true }),
    });
  });

  it("lets the other tool spend its share from the bucket our calls take from, counted apart from ours", async () => {
    const started = Date.now();
    standin.setKnobs({ rateLimit: "100/1", otherTool: 0.5 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const res = await fetch(`${standin.url}/api/v2/public/order/OM1`, { headers: { authorization: "Account k" } });
    const used = Number(res.headers.get("x-omisell-api-call-limit")?.split("/")[0]);
    const stats = standin.stats();
    // 50 calls a second for at least 0.4 s (longer on a busy machine: bounded by the time it took),
    // each taken from the bucket ours come from.
    expect(stats.otherTool.calls).toBeGreaterThanOrEqual(12);
    expect(stats.otherTool.calls).toBeLessThanOrEqual(Math.ceil(((Date.now() - started) / 1000) * 50) + 1);
    // The header counts everything in the bucket: our call, and what is left of the other tool's
    // (a share below 1 drains between its ticks, so often nothing): the fullest it was after ours.
    expect(used).toBeGreaterThanOrEqual(1);
    expect(stats.routes.order).toBe(1);
    expect(stats.peakUsed).toBe(used);
  });

  it("stops the other tool when the knob goes back to 0 or the knobs are reset", async () => {
    standin.setKnobs({ rateLimit: "100/1", otherTool: 0.5 });
    standin.setKnobs({ otherTool: 0 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(standin.stats().otherTool.calls).toBe(0);
  });

  it("refuses an other tool spending the whole bucket or more", async () => {
    const res = await fetch(`${standin.url}/__standin/knobs`, {
      method: "POST",
      body: JSON.stringify({ otherTool: 1 }),
    });
    expect(res.status).toBe(400);
  });

  it("takes orders in bulk, and shows each change in its list and its detail", async () => {
    const now = Math.floor(Date.now() / 1000);
    const res = await fetch(`${standin.url}/__standin/orders`, {
      method: "POST",
      body: JSON.stringify([
        { omisell_order_number: "OMB1", status_name: "Shipped", updated_time: now },
        { omisell_order_number: "OMB2", status_name: "Processing", updated_time: now },
      ]),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as unknown[]).length).toBe(2);
    const detail = await fetch(`${standin.url}/api/v2/public/order/OMB1`, { headers: { authorization: "Account k" } });
    expect(((await detail.json()) as { data: { status_name: string } }).data.status_name).toBe("Shipped");
  });
});

describe("npm run simulate -- --sale-day", () => {
  let standin: Awaited<ReturnType<typeof startOmisellStandin>>;
  let worker: Awaited<ReturnType<typeof startFakeWorker>> | undefined;
  beforeAll(async () => {
    standin = await startOmisellStandin({ port: 0 });
  });
  afterAll(async () => {
    await standin.close();
  });
  afterEach(async () => {
    await worker?.close();
  });

  it("plays the day, telling the stand-in each change before pushing it, and prints freshness and calls per change", async () => {
    worker = await startFakeWorker((req, _body, res) => {
      if (req.url === "/api/stats") {
        return json(res, 200, {
          backlog: { received: 0 },
          by_status: { processed: 21 },
          freshness: { last_hour: { p50_seconds: 3, p95_seconds: 8, p99_seconds: 10, settled: 21 } },
        });
      }
      res.writeHead(200, { "push-status": "accepted" });
      res.end();
    });
    const { stdout } = await run(process.execPath, [
      "scripts/simulate.ts",
      "--sale-day",
      "--minutes",
      "0.03",
      "--known",
      "3",
      "--new",
      "2",
      "--bulk",
      "3",
      "--rate",
      "100/6",
      "--url",
      `${worker.url}/webhooks/omisell`,
      "--standin",
      standin.url,
    ]);

    const pushes = worker.requests.filter((r) => r.url === "/webhooks/omisell");
    // 3 made known first, then 3 x 3 changes and 2 new orders x 2.
    expect(pushes).toHaveLength(3 + 9 + 4);
    expect(stdout).toContain("freshness (last hour, /api/stats): p50 3 s, p95 8 s, p99 10 s over 21 settled");
    expect(stdout).toMatch(/Omisell calls per order change: \d+\.\d{3}/);
    const orders = (await (await fetch(`${standin.url}/__standin/orders`)).json()) as {
      omisell_order_number: string;
      status_name: string;
    }[];
    const shipped = orders.filter((o) => /^OMSD.+K/.test(o.omisell_order_number));
    expect(shipped.map((o) => o.status_name)).toEqual(["Shipped", "Shipped", "Shipped"]);
  });

  it("refuses a --minutes that is not a positive number", async () => {
    await expect(
      run(process.execPath, ["scripts/simulate.ts", "--sale-day", "--minutes", "soon"]),
    ).rejects.toMatchObject({
      code: 2,
    });
  });
});

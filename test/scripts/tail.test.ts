/** `npm run tail`: follows the change feed by next_after, against a fake worker feed. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { formatChange, tailFeed } from "../../scripts/tail.ts";
import { json, startFakeWorker } from "./fake-worker";

type Change = {
  seq: number;
  id: string;
  event: string | null;
  category?: string;
  status: string;
  order_number: string | null;
};
const change = (seq: number): Change => ({
  seq,
  id: `01JEV${seq}`,
  event: "order.shipped",
  status: "processed",
  order_number: `OM-${seq}`,
});

let worker: Awaited<ReturnType<typeof startFakeWorker>> | undefined;
afterEach(async () => {
  await worker?.close();
  worker = undefined;
});

/** A feed over `changes` as the contract describes it; ascending, after=, limit=. */
async function feedOf(changes: Change[]) {
  worker = await startFakeWorker((req, _body, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.headers.authorization !== "Bearer read-token") return json(res, 401, { error: "unauthorized" });
    const after = Number(url.searchParams.get("after"));
    const limit = Number(url.searchParams.get("limit"));
    const page = changes.filter((c) => c.seq > after).slice(0, limit);
    json(res, 200, { changes: page, next_after: page.at(-1)?.seq ?? after });
  });
  return worker;
}

describe("npm run tail", () => {
  it("prints every change once, in seq order, following full pages at once", async () => {
    const { url } = await feedOf(Array.from({ length: 5 }, (_, i) => change(i + 1)));
    const seen: number[] = [];
    const position = await tailFeed({
      url,
      token: "read-token",
      limit: 2,
      once: true,
      onChange: (c) => seen.push(c.seq),
    });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(position).toBe(5);
  });

  it("asks the feed after the stored position, with the read token", async () => {
    const { url, requests } = await feedOf([change(1), change(2)]);
    await tailFeed({ url: `${url}/webhooks/omisell`, token: "read-token", after: 1, once: true, onChange: () => {} });
    expect(requests[0]).toMatchObject({ url: "/api/feed?after=1&limit=100", authorization: "Bearer read-token" });
  });

  it("keeps its position in the state file and starts from it next time", async () => {
    const changes = [change(1), change(2)];
    const { url } = await feedOf(changes);
    const state = join(mkdtempSync(join(tmpdir(), "tail-")), "feed.json");
    await tailFeed({ url, token: "read-token", stateFile: state, once: true, onChange: () => {} });
    expect(JSON.parse(readFileSync(state, "utf8"))).toEqual({ after: 2 });
    changes.push(change(3));
    const seen: number[] = [];
    await tailFeed({ url, token: "read-token", stateFile: state, once: true, onChange: (c) => seen.push(c.seq) });
    expect(seen).toEqual([3]);
  });

  it("polls until stopped, picking up changes that arrive later", async () => {
    const changes = [change(1)];
    const { url } = await feedOf(changes);
    const controller = new AbortController();
    const seen: number[] = [];
    const done = tailFeed({
      url,
      token: "read-token",
      intervalMs: 50,
      signal: controller.signal,
      onChange: (c) => {
        seen.push(c.seq);
        if (c.seq === 2) controller.abort();
      },
    });
    await new Promise((r) => setTimeout(r, 120));
    changes.push(change(2));
    expect(await done).toBe(2);
    expect(seen).toEqual([1, 2]);
  });

  it("keeps polling from the same position after a failed call", async () => {
    let calls = 0;
    worker = await startFakeWorker((_req, _body, res) => {
      calls += 1;
      if (calls === 1) return json(res, 503, { error: "busy" });
      json(res, 200, { changes: calls === 2 ? [change(7)] : [], next_after: 7 });
    });
    const controller = new AbortController();
    const errors: string[] = [];
    const seen: number[] = [];
    await tailFeed({
      url: worker.url,
      token: "t",
      intervalMs: 20,
      signal: controller.signal,
      log: (line) => errors.push(line),
      onChange: (c) => {
        seen.push(c.seq);
        controller.abort();
      },
    });
    expect(errors[0]).toMatch(/503/);
    expect(seen).toEqual([7]);
    expect(worker.requests.map((r) => r.url)).toEqual(["/api/feed?after=0&limit=100", "/api/feed?after=0&limit=100"]);
  });

  it("fails at once with --once when the token is refused", async () => {
    const { url } = await feedOf([change(1)]);
    await expect(tailFeed({ url, token: "wrong", once: true, log: () => {} })).rejects.toThrow(/401/);
  });

  it("formats a change as seq, id, event, status and order number", () => {
    const line = formatChange(change(42));
    expect(line.split(/\s+/).filter(Boolean)).toEqual(["42", "01JEV42", "order.shipped", "processed", "OM-42"]);
  });

  it("shows the category of an invalid push, which has no event name, instead of null", () => {
    const line = formatChange({ ...change(7), event: null, category: "invalid", status: "invalid" });
    expect(line.split(/\s+/).filter(Boolean)).toEqual(["7", "01JEV7", "(invalid)", "invalid", "OM-7"]);
  });

  it("keeps the columns aligned for the longest event name", () => {
    const long = formatChange({ ...change(8), event: "shipment.failed_delivery_attempt" });
    const short = formatChange(change(9));
    expect(long.indexOf("processed")).toBe(short.indexOf("processed"));
  });

  it("prefers the position in the state file to --after", async () => {
    const { url } = await feedOf([change(1), change(2), change(3)]);
    const state = join(mkdtempSync(join(tmpdir(), "tail-")), "feed.json");
    writeFileSync(state, '{"after":2}');
    const seen: number[] = [];
    await tailFeed({
      url,
      token: "read-token",
      after: 0,
      stateFile: state,
      once: true,
      onChange: (c) => seen.push(c.seq),
    });
    expect(seen).toEqual([3]);
  });
});

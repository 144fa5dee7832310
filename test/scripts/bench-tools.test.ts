/**
 * The benchmark's own pieces that decide what its figures mean: pushes that are each first-time
 * and of the size asked for, percentiles and ratios, and how query plans and queue log lines are
 * read. (That the worker accepts the bench's signatures is checked end to end: e2e/bench-pushes.)
 */
import { describe, expect, it } from "vitest";
import { batchDurations } from "../../scripts/bench/drain.ts";
import { createPushSource } from "../../scripts/bench/pushes.ts";
import { howItReads, percentile, ratios } from "../../scripts/bench/report.ts";
import { parseWrk } from "../../scripts/bench/wrk.ts";

const CALLBACK = "http://127.0.0.1:8787/webhooks/omisell";

function source(payloadBytes: number) {
  return createPushSource({ runId: "t", secret: "s3cret", callbackUrl: CALLBACK, payloadBytes, prefill: 3 });
}

describe("bench pushes", () => {
  it("each carry their own request_id, also past the prefilled ones", () => {
    const pushes = source(1024);
    const ids = Array.from({ length: 6 }, () => JSON.parse(pushes.next().body.toString("utf8")).request_id);
    expect(new Set(ids).size).toBe(6);
  });

  it("are padded to the payload size asked for", () => {
    expect(source(64 * 1024).next().body.byteLength).toBe(64 * 1024);
  });
});

describe("bench figures", () => {
  it("take the nearest-rank percentile", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile([], 95)).toBeNull();
  });

  it("weigh the overall ratio by requests per second, not by round", () => {
    const result = ratios([
      { ingest: { reqPerSec: 100 }, bare: { reqPerSec: 400 } },
      { ingest: { reqPerSec: 300 }, bare: { reqPerSec: 400 } },
    ]);
    expect(result.perRound).toEqual([0.25, 0.75]);
    expect(result.overall).toBe(0.5);
  });

  it("read consumer batch times from wrangler's coloured queue lines", () => {
    const log =
      "\x1b[1mQUEUE\x1b[22m omisell-followups \x1b[32m25/25\x1b[39m\x1b[90m (212ms)\x1b[39m\nQUEUE other 1/1 (3ms)";
    expect(batchDurations(log)).toEqual([{ acked: 25, size: 25, ms: 212 }]);
  });
});

describe("query plans", () => {
  it("tell an index seek from a table scan", () => {
    expect(howItReads("SEARCH events USING INDEX events_by_event (event=? AND id<?)", "… LIMIT ?2")).toBe("index seek");
    expect(howItReads("SCAN events", "SELECT * FROM events")).toBe("whole table");
  });

  it("accept an index walk only when a LIMIT stops it", () => {
    const plan = "SCAN events USING INDEX sqlite_autoindex_events_1";
    expect(howItReads(plan, "SELECT id FROM events ORDER BY id DESC LIMIT 50")).toBe("index walk to LIMIT");
    expect(howItReads(plan, "SELECT count(*) FROM events GROUP BY status")).toBe("whole index");
  });
});

describe("wrk's report", () => {
  const report = `Running 4s test @ http://127.0.0.1:8790
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.31ms    4.02ms  61.50ms   80.12%
  Latency Distribution
     50%   11.80ms
     75%   13.90ms
     90%   16.70ms
     99%  850.00us
  5196 requests in 4.00s, 380.57KB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:   1298.72
Transfer/sec:     95.11KB
`;

  it("gives req/s, p50 and p99 in ms whatever unit wrk printed, non-2xx and socket errors", () => {
    expect(parseWrk(report)).toEqual({ reqPerSec: 1298.72, p50: 11.8, p99: 0.85, non2xx: 7, errors: 3 });
  });

  it("reads a clean run as no non-2xx and no errors", () => {
    const clean = report.replace(/ {2}Socket errors.*\n/, "").replace(/ {2}Non-2xx.*\n/, "");
    expect(parseWrk(clean)).toMatchObject({ non2xx: 0, errors: 0 });
  });
});

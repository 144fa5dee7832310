/**
 * A sale day end to end, compressed to half a minute: a real `wrangler dev` of this file's own,
 * the stand-in enforcing Omisell's bucket (100 calls per 6 s) with its other tool spending 20 % of
 * it, the worker told the same and a freshness target of 6 s. 100 orders known before the hour
 * change status three times in bulk actions of 100, 50 new orders arrive with order.created and one
 * change (the rates of the bench's day, for a twelfth of the time). Every event settles, none fails, Omisell never answers 429, and the bulk changes are
 * settled from the order list for far fewer calls than one per change.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { queryLocalD1 } from "../../scripts/lib/local-stack.ts";
import {
  knownOrderNumber,
  planSaleDay,
  playSaleDay,
  seedKnownOrdersSql,
  tellStandin,
} from "../../scripts/lib/sale-day.ts";
import { E2E_VARS } from "./config";
import { readApi } from "./reliability-client";
import { type LocalStack, startLocalStack } from "./stack";

const RUN = crypto.randomUUID().slice(0, 6);
const SHAPE = { runId: RUN, known: 100, changesPerKnown: 3, fresh: 50, hourMs: 30_000, bulk: 100, followUpMs: 1_500 };
const KNOWN = Array.from({ length: SHAPE.known }, (_, i) => knownOrderNumber(RUN, i));

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack("sale-day", {
    standin: { rateLimit: "100/6" },
    vars: {
      OMISELL_RATE_LIMIT: "100/6",
      FOLLOWUP_FRESHNESS_SECONDS: "6",
      FOLLOWUP_PARALLELISM: "10",
      RECONCILE_EVERY_MINUTES: "0",
    },
    seedSql: seedKnownOrdersSql(KNOWN, Date.now() - 3_600_000),
  });
  const hourAgo = Math.floor(Date.now() / 1000) - 3600;
  await tellStandin(
    stack.standin.url,
    KNOWN.map((n) => ({ omisell_order_number: n, status_name: "Pending", updated_time: hourAgo })),
  );
});

afterAll(() => stack?.close());

type Stats = {
  by_status: Record<string, number>;
  backlog: { received: number };
  freshness: { last_hour: { p95_seconds: number | null; settled: number } };
};

it("settles every change of a compressed sale day within the bucket: none failed, no 429, bulk changes from the list", async () => {
  const { standin, worker, persistTo } = stack;
  standin.setKnobs({ otherTool: 0.2 });
  const changes = planSaleDay(SHAPE);

  const play = await playSaleDay({
    changes,
    runId: RUN,
    workerUrl: worker.url,
    secret: E2E_VARS.OMISELL_PUSH_SECRET,
    standinUrl: standin.url,
  });
  expect(play).toMatchObject({ pushed: changes.length, refused: 0 });

  const deadline = Date.now() + 120_000;
  let stats: Stats;
  do {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    stats = (await readApi<Stats>(worker.url, "/api/stats", E2E_VARS.READ_API_TOKENS)).body;
  } while (stats.backlog.received > 0 && Date.now() < deadline);

  expect(stats.backlog.received).toBe(0);
  expect(stats.by_status.failed ?? 0).toBe(0);
  expect(stats.by_status.processed).toBe(changes.length);
  const counts = standin.stats();
  expect(counts.outcomes["429"] ?? 0).toBe(0);
  expect(counts.otherTool.calls).toBeGreaterThan(0);
  const settledBy = Object.fromEntries(
    queryLocalD1<{ settled_by: string | null; n: number }>(
      persistTo,
      "SELECT settled_by, COUNT(*) AS n FROM events GROUP BY settled_by",
    ).map((row) => [row.settled_by ?? "none", row.n]),
  );
  expect(settledBy.list ?? 0).toBeGreaterThan(SHAPE.known);
  const calls = (counts.routes.order ?? 0) + (counts.routes.order_list ?? 0);
  // The new orders' details, a few list pages per bulk action, and whatever the choice fetched by detail.
  expect(calls / changes.length).toBeLessThan(0.6);
  expect(stats.freshness.last_hour.settled).toBe(changes.length);
  expect(stats.freshness.last_hour.p95_seconds).not.toBeNull();
}, 240_000);

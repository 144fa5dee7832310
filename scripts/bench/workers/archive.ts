/**
 * The archive taken apart, for the bench's `archive` scenario: seeds events with realistic bodies
 * (the scenario sends the fixtures) and their order snapshots straight into D1, reports D1's own
 * database size (`meta.size_after`), runs the project's retention run (runRetention, with the
 * ARCHIVE bucket) on demand, and sums what the bucket holds. Never deployed.
 */
import { Hono } from "hono";
import { gunzipText } from "../../../src/archive/gzip";
import { newUlid } from "../../../src/lib/ids";
import { DEFAULT_LIMITS, type RetentionDeps } from "../../../src/retention/deps";
import { runRetention } from "../../../src/retention/run";
import { INSERT_EVENT_COLUMNS, INSERT_EVENT_PLACEHOLDERS, insertValues } from "../../../src/store/event-columns";
import { upsertSnapshotStatement } from "../../../src/store/resources";

type ArchiveEnv = { DB: D1Database; ARCHIVE: R2Bucket };

const DAY_MS = 86_400_000;
const app = new Hono<{ Bindings: ArchiveEnv }>();

/**
 * `value` with its figures changed at random (numbers, and the digits inside strings), keys kept;
 * with `words`, every letter of every string value too (a bound: no real order is that random).
 * So the archive's compression is not flattered by copies of one fixture.
 */
function varied(value: unknown, words: boolean): unknown {
  if (typeof value === "number") {
    return Number.isInteger(value) ? Math.floor(Math.random() * value * 2) : Math.random() * value * 2;
  }
  if (typeof value === "string") {
    const digits = value.replace(/\d/g, () => String(Math.floor(Math.random() * 10)));
    return words ? digits.replace(/[a-z]/gi, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))) : digits;
  }
  if (Array.isArray(value)) return value.map((item) => varied(item, words));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, varied(inner, words)]));
  }
  return value;
}

async function databaseSize(db: D1Database): Promise<number> {
  return (await db.prepare("SELECT 1").run()).meta.size_after;
}

app.get("/health", (c) => c.json({ status: "ok" }));
app.get("/size", async (c) => c.json({ bytes: await databaseSize(c.env.DB) }));

type SeedBody = {
  count: number;
  perOrder: number;
  /** `burst`: an order's events arrive one after the other; `spread`: over the whole span. */
  arrival: "burst" | "spread";
  /** Randomise the letters of string values too, not only the figures. */
  words: boolean;
  from: number;
  spanMs: number;
  pushes: string[];
  runId: string;
};

/**
 * `count` events, `perOrder` per order (in bursts or spread), arriving evenly over [from, from + spanMs), settled
 * `processed` a minute later: each body a fixture push, its figures varied, with its own order number
 * and request id.
 */
app.post("/seed/events", async (c) => {
  const body = (await c.req.json()) as SeedBody;
  const insert = `INSERT INTO events (${INSERT_EVENT_COLUMNS}) VALUES (${INSERT_EVENT_PLACEHOLDERS})`;
  for (let start = 0; start < body.count; start += 100) {
    const statements: D1PreparedStatement[] = [];
    for (let i = start; i < Math.min(body.count, start + 100); i++) {
      const at = body.from + Math.floor((i * body.spanMs) / body.count);
      const template = JSON.parse(body.pushes[i % body.pushes.length] ?? "{}") as Record<string, unknown>;
      const orders = Math.ceil(body.count / body.perOrder);
      const index = body.arrival === "spread" ? i % orders : Math.floor(i / body.perOrder);
      const order = `OMBENCH${body.runId}${String(index).padStart(7, "0")}`;
      const requestId = `${body.runId}-${i}`;
      const payload = JSON.stringify({
        ...template,
        request_id: requestId,
        timestamp: Math.floor(at / 1000),
        data: { ...(varied(template.data, body.words) as object), omisell_order_number: order },
      });
      const event = String(template.event ?? "order.shipped");
      const row = {
        id: newUlid(at),
        dedupe_key: requestId,
        request_id: requestId,
        event,
        category: event.startsWith("shipment.") ? "shipment" : "order",
        seller_id: "1001",
        resource_type: "order",
        resource_id: order,
        order_number: order,
        status: "processed" as const,
        signature_valid: true,
        signature_scheme: "hmac" as const,
        received_at: at,
        payload,
        headers: { "content-type": "application/json", "user-agent": "Omisell-Webhook/1.0", "request-id": requestId },
      };
      statements.push(c.env.DB.prepare(insert).bind(...insertValues(row)));
    }
    await c.env.DB.batch(statements);
  }
  await c.env.DB.prepare(
    "UPDATE events SET processed_at = received_at + 60000, attempts = 1 WHERE processed_at IS NULL",
  ).run();
  return c.json({ bytes: await databaseSize(c.env.DB) });
});

/** The snapshot of each order seeded: the fixture order detail, its figures varied, under the order's number. */
app.post("/seed/snapshots", async (c) => {
  const body = (await c.req.json()) as {
    orders: number;
    runId: string;
    detail: Record<string, unknown>;
    at: number;
    words: boolean;
  };
  for (let start = 0; start < body.orders; start += 100) {
    const statements: D1PreparedStatement[] = [];
    for (let i = start; i < Math.min(body.orders, start + 100); i++) {
      const order = `OMBENCH${body.runId}${String(i).padStart(7, "0")}`;
      const data = JSON.stringify({
        ...(varied(body.detail, body.words) as object),
        omisell_order_number: order,
        order_number: `SHOP-${i}`,
      });
      statements.push(
        upsertSnapshotStatement(c.env.DB, {
          type: "order",
          id: order,
          seller_id: "1001",
          status_name: "Shipped",
          data,
          fetched_at: body.at,
          last_event_id: null,
        }),
      );
    }
    await c.env.DB.batch(statements);
  }
  return c.json({ bytes: await databaseSize(c.env.DB) });
});

/** One retention run at `now` with the live bucket and the default limits; its outcome and wall time. */
app.post("/retention", async (c) => {
  const now = Number(c.req.query("now"));
  const deps: RetentionDeps = {
    db: c.env.DB,
    archive: c.env.ARCHIVE,
    config: { retentionMs: Number(c.req.query("days") ?? 90) * DAY_MS, sweepAfterMs: 300_000 },
    beforeEventPurge: [],
    settled: async () => {},
    limits: DEFAULT_LIMITS,
  };
  const started = performance.now();
  const outcome = await runRetention(deps, now);
  return c.json({ outcome, wallMs: performance.now() - started });
});

/** What the bucket holds: objects, bytes as stored, bytes and lines once decompressed. */
app.get("/archive", async (c) => {
  let objects = 0;
  let stored = 0;
  let plain = 0;
  let lines = 0;
  let cursor: string | undefined;
  do {
    const page = await c.env.ARCHIVE.list(cursor ? { cursor } : {});
    for (const listed of page.objects) {
      const object = await c.env.ARCHIVE.get(listed.key);
      if (!object) continue;
      const text = await gunzipText(await object.arrayBuffer());
      objects += 1;
      stored += listed.size;
      plain += new TextEncoder().encode(text).byteLength;
      lines += text.split("\n").filter((line) => line !== "").length;
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return c.json({ objects, stored, plain, lines });
});

export default { fetch: app.fetch } satisfies ExportedHandler<ArchiveEnv>;

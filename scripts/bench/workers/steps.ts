/**
 * The push path taken apart, for the bench's `steps` scenario: one route that runs only the steps
 * named in `?steps=` (verify, begin, insert, enqueue, finish, plus bare runtime probes), with the
 * project's own step functions and the same bindings as wrangler.toml. Comparing the CPU each
 * combination costs shows where a push spends its time. Never deployed.
 */
import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";
import { beginPush, finishPush } from "../../../src/dedupe/claims";
import { enqueueFollowup } from "../../../src/followup/message";
import { newUlid } from "../../../src/lib/ids";
import { parsePushEnvelope } from "../../../src/push/envelope";
import { verifyPushSignature } from "../../../src/push/signature";
import { INSERT_EVENT_COLUMNS, INSERT_EVENT_PLACEHOLDERS, insertValues } from "../../../src/store/event-columns";
import { rollUpEvents } from "../../../src/store/event-counts";
import { eventListStatement } from "../../../src/store/event-reads";
import { insertEvent } from "../../../src/store/event-writes";
import { STATS_SQL } from "../../../src/store/stats";

export { ClaimShard } from "../../../src/dedupe/claim-shard";
export { OmisellRateLimiter } from "../../../src/omisell/limiter-object";
export { OmisellTokenHolder } from "../../../src/omisell/token-holder";

type StepsEnv = Env & { PROBE: DurableObjectNamespace<Probe> };

/** Runtime probes: what a Durable Object call costs with no work, and with one SQLite write. */
export class Probe extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS probe (key TEXT PRIMARY KEY)");
  }
  nothing(key: string): number {
    return key.length;
  }
  writeOne(key: string): number {
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO probe (key) VALUES (?)", key);
    return 1;
  }
}

const app = new Hono<{ Bindings: StepsEnv }>();
app.get("/health", (c) => c.json({ status: "ok" }));

/**
 * Rows read, as D1 reports them (`meta.rows_read`), by the stats and by list pages: the project's
 * statements, and for comparison those of the previous version (counts over the events table,
 * every filter in one statement). Used by `npm run bench` on the seeded database.
 */
const PREVIOUS_STATS_SQL = [
  "SELECT status, COUNT(*) AS n FROM events WHERE status IN ('received', 'processed', 'skipped', 'failed', 'invalid') GROUP BY status",
  "SELECT event, COUNT(*) AS n FROM events WHERE event IS NOT NULL GROUP BY event ORDER BY n DESC LIMIT 100",
  "SELECT COUNT(*) AS n FROM events WHERE status = 'failed' AND id >= ?1",
  "SELECT id FROM events WHERE status = 'failed' ORDER BY id DESC LIMIT 5",
  "SELECT id, received_at FROM events WHERE status = 'received' ORDER BY id LIMIT 1",
  "SELECT id, event, received_at FROM events ORDER BY id DESC LIMIT 1",
];
const PREVIOUS_HOURLY_SQL =
  "SELECT category, COUNT(*) AS n FROM events WHERE category IN ('order', 'shipment', 'return', 'sale_invoice', 'unknown', 'invalid') AND id >= ?1 AND id < ?2 GROUP BY category";

async function rowsRead(db: D1Database, statements: D1PreparedStatement[]): Promise<number> {
  const results = await db.batch(statements);
  return results.reduce((sum, r) => sum + (r.meta.rows_read ?? 0), 0);
}

app.post("/rollup", async (c) => {
  let total = 0;
  for (;;) {
    const rolled = await rollUpEvents(c.env.DB, 5_000, Date.now());
    total += rolled;
    if (rolled < 5_000) return c.json({ rolled: total });
  }
});

app.get("/rows-read/stats", async (c) => {
  const db = c.env.DB;
  const now = Date.now();
  const windowStart = (Math.floor(now / 3_600_000) - 23) * 3_600_000;
  const current = await rowsRead(
    db,
    Object.values(STATS_SQL).map((sql) => db.prepare(sql).bind(...(sql.includes("?1") ? [windowStart] : []))),
  );
  const idAt = (ms: number) => newUlid(ms).slice(0, 10);
  const previous = await rowsRead(db, [
    ...PREVIOUS_STATS_SQL.map((sql) => db.prepare(sql).bind(...(sql.includes("?1") ? [idAt(windowStart)] : []))),
    ...Array.from({ length: 24 }, (_, i) =>
      db.prepare(PREVIOUS_HOURLY_SQL).bind(idAt(windowStart + i * 3_600_000), idAt(windowStart + (i + 1) * 3_600_000)),
    ),
  ]);
  return c.json({ current, previous });
});

app.get("/rows-read/list", async (c) => {
  const db = c.env.DB;
  const limit = Number(c.req.query("limit") ?? 50);
  const filters = Object.fromEntries(Object.entries(c.req.query()).filter(([k]) => k !== "limit"));
  const statement = eventListStatement({ filters, limit: limit + 1 });
  const page = await db
    .prepare(statement.sql)
    .bind(...statement.params)
    .all();
  let current = page.meta.rows_read ?? 0;
  if (statement.scanned && page.results.length < limit + 1) {
    const walked = await db
      .prepare(statement.scanned.sql)
      .bind(...statement.scanned.params)
      .all();
    current += walked.meta.rows_read ?? 0;
  }
  const where = Object.keys(filters).map((k, i) => `${k} = ?${i + 1}`);
  const previousSql = `SELECT id FROM events${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ${limit + 1}`;
  const previous = await db
    .prepare(previousSql)
    .bind(...Object.values(filters))
    .all();
  return c.json({ current, previous: previous.meta.rows_read ?? 0, rows: page.results.length });
});

app.post("/webhooks/omisell", async (c) => {
  const steps = new Set((c.req.query("steps") ?? "").split(",").filter(Boolean));
  const raw = new Uint8Array(await c.req.arrayBuffer());
  const receivedAt = Date.now();
  const text = new TextDecoder().decode(raw);
  const body = JSON.parse(text) as { request_id: string };
  const key = String(body.request_id);
  const eventId = newUlid(receivedAt);
  const probe = c.env.PROBE.get(c.env.PROBE.idFromName(`probe-${key.length % 16}`));

  if (steps.has("verify")) {
    await verifyPushSignature(
      [c.req.query("secret") ?? ""],
      c.req.url.split("?")[0] ?? "",
      raw,
      c.req.header("authorization"),
    );
    parsePushEnvelope(body, null);
  }
  if (steps.has("do-nothing")) await probe.nothing(key);
  if (steps.has("do-write")) await probe.writeOne(key);
  if (steps.has("d1-select")) await c.env.DB.prepare("SELECT 1").first();
  const token = crypto.randomUUID();
  if (steps.has("begin")) await beginPush(c.env.CLAIMS, key, token, 30_000);
  const row = {
    id: eventId,
    dedupe_key: key,
    request_id: key,
    event: "order.created",
    category: "order",
    seller_id: "S1",
    resource_type: "order",
    resource_id: key,
    order_number: key,
    status: "received",
    signature_valid: true,
    received_at: receivedAt,
    payload: text,
  } as const;
  // The project's insert (INSERT ... ON CONFLICT DO NOTHING RETURNING, and the key's row, in one batch).
  if (steps.has("insert")) await insertEvent(c.env.DB, row);
  // The alternative: the INSERT alone with first(), a second SELECT only on a conflict.
  if (steps.has("insert-first")) {
    await c.env.DB.prepare(
      `INSERT INTO events (${INSERT_EVENT_COLUMNS}) VALUES (${INSERT_EVENT_PLACEHOLDERS}) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
    )
      .bind(...insertValues(row))
      .first();
  }
  if (steps.has("enqueue")) await enqueueFollowup(c.env.FOLLOWUPS, eventId, "push");
  if (steps.has("finish")) {
    c.executionCtx.waitUntil(finishPush(c.env.CLAIMS, key, token, { stored: true, eventId }).catch(() => {}));
  }
  return c.body(null, 200);
});

export default {
  fetch: app.fetch,
  // Follow-ups are only acknowledged here: the steps are measured without the consumer's work.
  async queue(batch) {
    batch.ackAll();
  },
} satisfies ExportedHandler<StepsEnv>;

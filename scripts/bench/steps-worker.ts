/**
 * The push path taken apart, for `scripts/bench/steps.mjs`: one route that runs only the steps
 * named in `?steps=` (verify, begin, insert, enqueue, finish, plus bare runtime probes), with the
 * project's own step functions and the same bindings as wrangler.toml. Comparing the CPU each
 * combination costs shows where a push spends its time. Never deployed.
 */
import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";
import { beginPush, finishPush } from "../../src/dedupe/claims";
import { enqueueFollowup } from "../../src/followup/message";
import { newEventId } from "../../src/lib/ids";
import { parsePushEnvelope } from "../../src/push/envelope";
import { verifyPushSignature } from "../../src/push/signature";
import { INSERT_EVENT_COLUMNS, INSERT_EVENT_PLACEHOLDERS, insertValues } from "../../src/store/event-columns";
import { insertEvent } from "../../src/store/event-writes";

export { ClaimShard } from "../../src/dedupe/claim-shard";
export { OmisellRateLimiter } from "../../src/omisell/rate-limiter";
export { OmisellTokenHolder } from "../../src/omisell/token-holder";

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

app.post("/webhooks/omisell", async (c) => {
  const steps = new Set((c.req.query("steps") ?? "").split(",").filter(Boolean));
  const raw = new Uint8Array(await c.req.arrayBuffer());
  const receivedAt = Date.now();
  const text = new TextDecoder().decode(raw);
  const body = JSON.parse(text) as { request_id: string };
  const key = String(body.request_id);
  const eventId = newEventId(receivedAt);
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

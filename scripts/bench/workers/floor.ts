/**
 * The benchmark's floor: the least a receiver that keeps pushes can do. Its push route reads the
 * body, parses it, makes one D1 insert into the same `events` table (same migrations, indexes
 * and triggers) and one queue send, then answers 200: no signature check, no dedupe. Ingest is
 * reported as a fraction of this worker too, measured in the same run on the same runtime.
 */
import { Hono } from "hono";
import { newUlid } from "../../../src/lib/ids";

const app = new Hono<{ Bindings: Env }>();
const INSERT_SQL = `INSERT INTO events (id, dedupe_key, request_id, event, category, resource_type, resource_id,
  order_number, status, received_at, payload) VALUES (?1, ?2, ?2, ?3, ?4, 'order', ?5, ?5, 'received', ?6, ?7)`;

app.get("/health", (c) => c.json({ status: "ok" }));

app.post("/webhooks/omisell", async (c) => {
  const text = await c.req.text();
  const receivedAt = Date.now();
  const body = JSON.parse(text) as { request_id: string; event: string; data: { omisell_order_number?: string } };
  const id = newUlid(receivedAt);
  const category = body.event.split(".")[0] ?? "unknown";
  await c.env.DB.prepare(INSERT_SQL)
    .bind(id, body.request_id, body.event, category, body.data.omisell_order_number ?? null, receivedAt, text)
    .run();
  await c.env.FOLLOWUPS.send({ event_id: id, reason: "push" });
  return c.body(null, 200);
});
export default {
  fetch: app.fetch,
  // Messages are only acknowledged: the floor measures the receiving side alone.
  async queue(batch) {
    batch.ackAll();
  },
} satisfies ExportedHandler<Env>;

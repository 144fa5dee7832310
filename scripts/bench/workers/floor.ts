/**
 * The benchmark's floor: the least a receiver that keeps pushes can do. Its push route reads the
 * body, parses it, makes one D1 insert into the same `events` table (same migrations, indexes
 * and triggers) and one queue send, then answers 200: no signature check, no dedupe. Ingest is
 * reported as a fraction of this worker too, measured in the same run on the same runtime.
 *
 * `/webhooks/omisell/grouped` is the same floor with group commit (the `group-commit` scenario):
 * pushes that arrive while a commit runs wait for the next one, which takes them all in one D1
 * batch and one sendBatch; a push arriving alone commits at once. The groups form in the isolate,
 * which is enough to measure what sharing a commit buys: no route that does more per push can go
 * faster than this one.
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
type Pending = { statement: D1PreparedStatement; id: string; done: (error?: unknown) => void };
let waiting: Pending[] = [];
let committing = false;

/** Commits everything waiting, then what arrived meanwhile, until nothing waits. */
async function commitAll(env: Env): Promise<void> {
  committing = true;
  while (waiting.length > 0) {
    const group = waiting;
    waiting = [];
    try {
      await env.DB.batch(group.map((p) => p.statement));
      await env.FOLLOWUPS.sendBatch(group.map((p) => ({ body: { event_id: p.id, reason: "push" } })));
      for (const p of group) p.done();
    } catch (err) {
      for (const p of group) p.done(err);
    }
  }
  committing = false;
}

app.post("/webhooks/omisell/grouped", async (c) => {
  const text = await c.req.text();
  const receivedAt = Date.now();
  const body = JSON.parse(text) as { request_id: string; event: string; data: { omisell_order_number?: string } };
  const id = newUlid(receivedAt);
  const category = body.event.split(".")[0] ?? "unknown";
  const statement = c.env.DB.prepare(INSERT_SQL).bind(
    id,
    body.request_id,
    body.event,
    category,
    body.data.omisell_order_number ?? null,
    receivedAt,
    text,
  );
  const committed = new Promise<void>((resolve, reject) => {
    waiting.push({ statement, id, done: (error) => (error === undefined ? resolve() : reject(error)) });
  });
  if (!committing) c.executionCtx.waitUntil(commitAll(c.env));
  await committed;
  return c.body(null, 200);
});

export default {
  fetch: app.fetch,
  // Messages are only acknowledged: the floor measures the receiving side alone.
  async queue(batch) {
    batch.ackAll();
  },
} satisfies ExportedHandler<Env>;

/**
 * The benchmark's yardstick: a Hono worker on the same wrangler and workerd as omisell-push whose
 * push route does nothing but read the body and answer 200. Ingest throughput is reported as a
 * ratio of this one, so the figure says what the push path costs, not how fast the machine is.
 */
import { Hono } from "hono";

const app = new Hono();

app.get("/health", (c) => c.json({ status: "ok" }));

app.post("/webhooks/omisell", async (c) => {
  await c.req.arrayBuffer();
  return c.body(null, 200);
});

export default app;

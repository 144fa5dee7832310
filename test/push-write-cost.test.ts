/**
 * What one accepted push writes in D1, as D1 counts it (`meta.rows_written`: the row, its index
 * entries and what triggers write): the figure behind BENCHMARKS.md "Group commit". One batch of two
 * statements (the insert, and the read of the row holding the key); a duplicate writes nothing.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { NewEvent } from "../src/events/vocabulary";
import { newUlid } from "../src/lib/ids";
import { INSERT_EVENT_COLUMNS, INSERT_EVENT_PLACEHOLDERS, insertValues } from "../src/store/event-columns";

function row(): NewEvent {
  const id = newUlid(Date.now());
  return {
    id,
    dedupe_key: `cost:${id}`,
    request_id: id,
    event: "order.created",
    category: "order",
    seller_id: "1001",
    resource_type: "order",
    resource_id: `OM${id}`,
    order_number: `OM${id}`,
    status: "received",
    signature_valid: true,
    received_at: Date.now(),
    payload: "{}",
  };
}

const INSERT = `INSERT INTO events (${INSERT_EVENT_COLUMNS}) VALUES (${INSERT_EVENT_PLACEHOLDERS})
  ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`;

describe("an accepted push's write", () => {
  it("is one insert whose rows written D1 counts, and a duplicate's is none", async () => {
    const event = row();
    const [first] = await env.DB.batch([env.DB.prepare(INSERT).bind(...insertValues(event))]);
    const [again] = await env.DB.batch([env.DB.prepare(INSERT).bind(...insertValues(event))]);
    // The row and what its indexes and triggers write, as D1 counts them.
    expect(first?.meta.rows_written).toBe(13);
    expect(again?.meta.rows_written).toBe(0);
  });
});

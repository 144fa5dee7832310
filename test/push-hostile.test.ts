/**
 * Hostile bodies on the push endpoint, signed (so they get past the signature): each gets a
 * clear 4xx or a 200 for what is a usable push, never a 5xx, and what is kept is kept verbatim.
 */
import { describe, expect, it } from "vitest";
import { countEvents, eventRow, samplePush, sendPush } from "./helpers/push";

const deep = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
const deepArray = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

const CASES: Array<[name: string, expected: number, makeBody: () => string]> = [
  ["nesting 40 000 deep (object)", 400, () => deep(40_000)],
  ["nesting 100 000 deep (array)", 400, () => deepArray(100_000)],
  [
    "an event nested 5 000 deep inside data",
    200,
    () => `{"event":"order.created","request_id":"deep-${crypto.randomUUID()}","data":${deep(5_000)}}`,
  ],
  ["a 20 KB request_id", 400, () => JSON.stringify({ request_id: "x".repeat(20_000), event: "order.created" })],
  ["a top-level array of pushes", 400, () => JSON.stringify([samplePush(), samplePush()])],
  ["null", 400, () => "null"],
  ["a bare number", 400, () => "12345"],
  ["truncated JSON", 400, () => JSON.stringify(samplePush()).slice(0, 40)],
  [
    "a raw NUL byte inside a string",
    400,
    () => `{"event":"order.created\u0000","request_id":"nul-${crypto.randomUUID()}"}`,
  ],
  [
    "an escaped NUL in the event name",
    200,
    () => `{"event":"order.created\\u0000","request_id":"nul-${crypto.randomUUID()}"}`,
  ],
  ["a 10 KB event name", 400, () => JSON.stringify({ request_id: crypto.randomUUID(), event: "e".repeat(10_000) })],
  [
    "identifiers that are objects",
    200,
    () => JSON.stringify({ ...samplePush(), data: { omisell_order_number: { $gt: "" } } }),
  ],
  [
    "a 1 KB order number",
    400,
    () => JSON.stringify({ ...samplePush(), data: { omisell_order_number: "9".repeat(1000) } }),
  ],
  [
    "__proto__ keys",
    200,
    () => `{"__proto__":{"polluted":1},"event":"order.created","request_id":"proto-${crypto.randomUUID()}"}`,
  ],
];

describe("hostile bodies", () => {
  it.each(CASES)("%s → %i", async (_name, expected, makeBody) => {
    const body = makeBody();
    const res = await sendPush(body);
    expect(res.status).toBe(expected);
    if (expected === 400) expect(await res.json()).toMatchObject({ error: "invalid_payload" });
    const id = res.headers.get("Push-Event-Id");
    expect(id).not.toBeNull();
    expect((await eventRow(id as string))?.payload).toBe(body);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("stores SQL text as data, not as SQL", async () => {
    const push = samplePush("order.created', 'x'); DROP TABLE events; --", {
      request_id: `'; DELETE FROM events WHERE '1'='1 ${crypto.randomUUID()}`,
    });
    const before = await countEvents();
    const res = await sendPush(push);
    expect(res.status).toBe(200);
    expect(await eventRow(res.headers.get("Push-Event-Id") as string)).toMatchObject({
      event: push.event,
      category: "unknown",
      request_id: push.request_id,
    });
    expect(await countEvents()).toBe(before + 1);
  });

  it("keeps invalid UTF-8 once, as invalid, with the bytes hashed for dedupe", async () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('{"event":"order.created","x":"'),
      0xff,
      0xfe,
      0xc3,
      0x28,
      0x22,
      0x7d,
      Math.floor(Math.random() * 10) + 0x30,
    ]);
    const first = await sendPush(bytes);
    const again = await sendPush(bytes);
    expect(first.status).toBe(400);
    expect(await first.json()).toEqual({ error: "invalid_payload", message: "body is not valid UTF-8" });
    expect(again.headers.get("Push-Event-Id")).toBe(first.headers.get("Push-Event-Id"));
    const row = await eventRow(first.headers.get("Push-Event-Id") as string);
    expect(row).toMatchObject({ status: "invalid" });
    expect(row?.payload).toContain("\uFFFD");
  });

  it("ignores the content type: the bytes are what is signed and stored", async () => {
    const push = samplePush();
    const res = await sendPush(push, { headers: { "content-type": "text/plain; charset=latin1" } });
    expect(res.headers.get("Push-Status")).toBe("accepted");
  });
});

/**
 * Hostile bodies on the push endpoint, signed (so they get past the signature): each gets a 200
 * with an empty body, `Push-Status: accepted` for what is a usable push and `invalid` for what is
 * not, never a 5xx, and what is kept is kept verbatim.
 */
import { describe, expect, it } from "vitest";
import { countEvents, eventRow, samplePush, sendPush } from "./helpers/push";

const deep = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
const deepArray = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

const CASES: Array<[name: string, expected: "accepted" | "invalid", makeBody: () => string]> = [
  ["nesting 40 000 deep (object)", "invalid", () => deep(40_000)],
  ["nesting 100 000 deep (array)", "invalid", () => deepArray(100_000)],
  [
    "an event nested 5 000 deep inside data",
    "accepted",
    () => `{"event":"order.created","request_id":"deep-${crypto.randomUUID()}","data":${deep(5_000)}}`,
  ],
  ["a 20 KB request_id", "invalid", () => JSON.stringify({ request_id: "x".repeat(20_000), event: "order.created" })],
  ["a top-level array of pushes", "invalid", () => JSON.stringify([samplePush(), samplePush()])],
  ["null", "invalid", () => "null"],
  ["a bare number", "invalid", () => "12345"],
  ["truncated JSON", "invalid", () => JSON.stringify(samplePush()).slice(0, 40)],
  [
    "a raw NUL byte inside a string",
    "invalid",
    () => `{"event":"order.created\u0000","request_id":"nul-${crypto.randomUUID()}"}`,
  ],
  [
    "an escaped NUL in the event name",
    "accepted",
    () => `{"event":"order.created\\u0000","request_id":"nul-${crypto.randomUUID()}"}`,
  ],
  [
    "a 10 KB event name",
    "invalid",
    () => JSON.stringify({ request_id: crypto.randomUUID(), event: "e".repeat(10_000) }),
  ],
  [
    "identifiers that are objects",
    "accepted",
    () => JSON.stringify({ ...samplePush(), data: { omisell_order_number: { $gt: "" } } }),
  ],
  [
    "a 1 KB order number",
    "invalid",
    () => JSON.stringify({ ...samplePush(), data: { omisell_order_number: "9".repeat(1000) } }),
  ],
  [
    "__proto__ keys",
    "accepted",
    () => `{"__proto__":{"polluted":1},"event":"order.created","request_id":"proto-${crypto.randomUUID()}"}`,
  ],
];

describe("hostile bodies", () => {
  it.each(CASES)("%s → 200 %s", async (_name, expected, makeBody) => {
    const body = makeBody();
    const res = await sendPush(body);
    expect(res.status).toBe(200);
    expect(res.headers.get("Push-Status")).toBe(expected);
    expect(await res.text()).toBe("");
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
      category: "order",
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
    expect(first.status).toBe(200);
    expect(first.headers.get("Push-Status")).toBe("invalid");
    expect(again.headers.get("Push-Event-Id")).toBe(first.headers.get("Push-Event-Id"));
    const row = await eventRow(first.headers.get("Push-Event-Id") as string);
    expect(row).toMatchObject({ status: "invalid", last_error: "body is not valid UTF-8" });
    expect(row?.payload).toContain("\uFFFD");
  });

  it("ignores the content type: the bytes are what is signed and stored", async () => {
    const push = samplePush();
    const res = await sendPush(push, { headers: { "content-type": "text/plain; charset=latin1" } });
    expect(res.headers.get("Push-Status")).toBe("accepted");
  });
});

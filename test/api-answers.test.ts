/**
 * The API's answers to what it cannot use, on every endpoint that takes it: a body that is not
 * JSON names `body`, a missing field is "required", and a cursor the worker did not hand out
 * (made up, altered, or another list's) is a 400 naming `cursor`.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newUlid } from "../src/lib/ids";
import { encodeCursor } from "../src/read-model/event-query";
import { startRun } from "../src/store/reconcile";
import { insertDelivery, insertSettledEvent } from "./helpers/forward";
import { ADMIN_TOKEN, apiGet, BASE, json, storeEvent, uniqueSeller } from "./helpers/read-api";

type ErrorAnswer = { error: string; message?: string; fields?: Record<string, string> };

/** The JSON-body endpoints: each must answer a bad body the same way. */
const BODY_ENDPOINTS = ["/api/reconcile", "/api/events/replay"];

function postBody(path: string, body: string, contentType = "application/json") {
  return exports.default.fetch(
    new Request(`${BASE}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": contentType },
      body,
    }),
  );
}

describe("a JSON body the API cannot use", () => {
  it.each(BODY_ENDPOINTS)("%s answers malformed JSON with 400 invalid_request naming body", async (path) => {
    const res = await postBody(path, '{"from": yesterday');
    expect(res.status).toBe(400);
    expect(await json<ErrorAnswer>(res)).toEqual({ error: "invalid_request", fields: { body: "not valid JSON" } });
  });

  it.each(BODY_ENDPOINTS)("%s answers an empty JSON body with 400 naming body", async (path) => {
    const res = await postBody(path, "");
    expect(res.status).toBe(400);
    expect((await json<ErrorAnswer>(res)).fields).toEqual({ body: "not valid JSON" });
  });

  it.each(BODY_ENDPOINTS)("%s answers a body of another media type with 415 naming body", async (path) => {
    const res = await postBody(path, '{"status":"failed"}', "text/plain");
    expect(res.status).toBe(415);
    expect(await json<ErrorAnswer>(res)).toMatchObject({
      error: "unsupported_media_type",
      fields: { body: expect.stringContaining("application/json") },
    });
  });

  it("says required for each missing field, not zod's Invalid input", async () => {
    const res = await postBody("/api/reconcile", "{}");
    expect(res.status).toBe(400);
    expect(await json<ErrorAnswer>(res)).toEqual({
      error: "invalid_request",
      fields: { from: "required", to: "required" },
    });
  });

  it("keeps the reason for a field that is there but wrong", async () => {
    const res = await postBody("/api/reconcile", JSON.stringify({ from: null, to: "soon" }));
    const fields = (await json<ErrorAnswer>(res)).fields ?? {};
    expect(fields.from).not.toBe("required");
    expect(fields.to).toMatch(/milliseconds|ISO 8601/);
  });
});

describe("a cursor the worker did not hand out", () => {
  /** A real next_cursor of each list, and the list's path. */
  async function issuedCursors() {
    const seller = uniqueSeller();
    await storeEvent({ seller_id: seller });
    await storeEvent({ seller_id: seller });
    const events = await json<{ next_cursor: string }>(await apiGet(`/api/events?seller_id=${seller}&limit=1`));

    const eventId = await insertSettledEvent();
    const now = Date.now();
    await insertDelivery(eventId, now - 1);
    await env.DB.prepare("UPDATE events SET status = 'received' WHERE id = ?1").bind(eventId).run();
    await env.DB.prepare("UPDATE events SET status = 'processed' WHERE id = ?1").bind(eventId).run();
    await insertDelivery(eventId, now);
    const deliveries = await json<{ next_cursor: string }>(await apiGet(`/api/deliveries?event_id=${eventId}&limit=1`));

    for (const at of [now - 2000, now - 1000]) {
      await startRun(env.DB, { id: newUlid(at), trigger: "cron", window_from: at - 1, window_to: at, started_at: at });
    }
    const runs = await json<{ next_cursor: string }>(await apiGet("/api/reconcile/runs?limit=1"));
    return {
      events: { path: `/api/events?seller_id=${seller}&limit=1`, cursor: events.next_cursor },
      deliveries: { path: `/api/deliveries?event_id=${eventId}&limit=1`, cursor: deliveries.next_cursor },
      runs: { path: "/api/reconcile/runs?limit=1", cursor: runs.next_cursor },
    };
  }

  async function expectCursorRefused(path: string, cursor: string) {
    const res = await apiGet(`${path}&cursor=${encodeURIComponent(cursor)}`);
    expect(res.status, `${path} with ${cursor}`).toBe(400);
    const body = await json<ErrorAnswer>(res);
    expect(body.error).toBe("invalid_request");
    expect(Object.keys(body.fields ?? {})).toEqual(["cursor"]);
  }

  it("takes each list's own next_cursor", async () => {
    const lists = await issuedCursors();
    for (const { path, cursor } of Object.values(lists)) {
      expect(cursor, path).toEqual(expect.any(String));
      const res = await apiGet(`${path}&cursor=${encodeURIComponent(cursor)}`);
      expect(res.status, path).toBe(200);
    }
  });

  it("refuses a made-up cursor (the base64 of an id, as cursors used to be) on every list", async () => {
    const lists = await issuedCursors();
    const madeUp = encodeCursor(newUlid(Date.now()));
    const forged = `${madeUp}.${"0".repeat(32)}`;
    for (const { path } of Object.values(lists)) {
      await expectCursorRefused(path, madeUp);
      await expectCursorRefused(path, forged);
    }
  });

  it("refuses a cursor with one character changed, in its id or its signature", async () => {
    const lists = await issuedCursors();
    for (const { path, cursor } of Object.values(lists)) {
      const [body = "", mac = ""] = cursor.split(".");
      const flip = (text: string, i: number) => text.slice(0, i) + (text[i] === "A" ? "B" : "A") + text.slice(i + 1);
      await expectCursorRefused(path, `${flip(body, 3)}.${mac}`);
      await expectCursorRefused(path, `${body}.${mac.slice(0, -1)}${mac.endsWith("0") ? "1" : "0"}`);
    }
  });

  it("refuses one list's cursor on another list", async () => {
    const lists = await issuedCursors();
    await expectCursorRefused(lists.events.path, lists.deliveries.cursor);
    await expectCursorRefused(lists.deliveries.path, lists.runs.cursor);
    await expectCursorRefused(lists.runs.path, lists.events.cursor);
  });
});

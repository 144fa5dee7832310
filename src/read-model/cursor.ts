/**
 * The paged lists' cursors, signed: a cursor is the last id of a page and a MAC of it, so only a
 * cursor this worker handed out is taken, and one list's cursor is refused by another.
 */
import { readConfig } from "../config";
import { invalidField } from "../errors";
import { equalsOneOf, hmacSha256Hex } from "../lib/crypto";
import { decodeCursor, encodeCursor } from "./event-query";

/** The lists that page with a cursor; each signs its own, so they cannot be swapped. */
export type CursorList = "events" | "deliveries" | "reconcile_runs" | "archive_events" | "alerts";

/** What `cursor` looks like before its signature is checked: the encoded id, a dot, the MAC. */
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,64}\.[0-9a-f]{32}$/;

const NOT_ISSUED = "not a cursor returned as next_cursor";

/**
 * The key cursors are signed with: derived from the API tokens, which every deployment has and
 * keeps secret. Rotating the tokens makes the cursors handed out before refused (a client starts
 * again from the first page).
 */
function cursorKey(env: Env): string {
  const { readTokens, adminTokens } = readConfig(env).api;
  return `omisell-push cursor v1\n${[...adminTokens, ...readTokens].join("\n")}`;
}

/** 128 bits of HMAC-SHA256 over the list's name and the encoded id. */
async function macOf(key: string, list: CursorList, body: string): Promise<string> {
  return (await hmacSha256Hex(key, `${list}:${body}`)).slice(0, 32);
}

/** The `next_cursor` of a page that ended at `lastId`. */
export async function signCursor(env: Env, list: CursorList, lastId: string): Promise<string> {
  const body = encodeCursor(lastId);
  return `${body}.${await macOf(cursorKey(env), list, body)}`;
}

/** The id inside a cursor this worker signed for `list`, or null for any other text. */
export async function openCursor(env: Env, list: CursorList, cursor: string): Promise<string | null> {
  if (!CURSOR_PATTERN.test(cursor)) return null;
  const [body = "", mac = ""] = cursor.split(".");
  const id = decodeCursor(body);
  if (id === null) return null;
  return (await equalsOneOf(mac, [await macOf(cursorKey(env), list, body)])) ? id : null;
}

/**
 * The id of a `cursor` parameter (undefined when there is none), or the API's 400 naming
 * `cursor` when this worker did not sign it for `list`.
 */
export async function cursorIdOrThrow(env: Env, list: CursorList, cursor: string | undefined) {
  if (cursor === undefined) return undefined;
  const id = await openCursor(env, list, cursor);
  if (id === null) throw invalidField("cursor", NOT_ISSUED);
  return id;
}

/** POST /webhooks/omisell: the HTTP around `decidePush`. */
import { Hono } from "hono";
import { readConfig } from "../config";
import { HttpError } from "../errors";
import { BodyTooLarge, readBodyLimited } from "../lib/body";
import { log } from "../lib/log";
import { decidePush } from "./decide";
import { ingestPush, livePushSteps, type PushSteps, storeInvalidPush } from "./ingest";

export const MAX_PUSH_BYTES = 256 * 1024;
const PUSH_PATH = "/webhooks/omisell";
/** The path, and the same with a trailing slash, as a callback URL may be saved either way. */
const PUSH_PATHS = [PUSH_PATH, `${PUSH_PATH}/`];

function pushAnswer(status: "accepted" | "duplicate" | "ignored" | "invalid", eventId?: string): Response {
  const headers = new Headers({ "Push-Status": status });
  if (eventId) headers.set("Push-Event-Id", eventId);
  return new Response(null, { status: 200, headers });
}

async function readPushBody(request: Request): Promise<Uint8Array> {
  try {
    return await readBodyLimited(request, MAX_PUSH_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLarge) throw new HttpError(413, "payload_too_large", undefined, { cause: err });
    throw new HttpError(400, "invalid_payload", "the body could not be read", { cause: err });
  }
}

/**
 * The push routes, storing through `steps` (the real ones unless a test hands in fakes): read the
 * body within the size limit, decide, then store and answer. Every 200 has an empty body; what
 * happened is in `Push-Status` (`accepted`, `duplicate`, `ignored`, `invalid`) and
 * `Push-Event-Id`. Errors (a refused signature, a body too large, storage down) are thrown as
 * `HttpError` and answered by `renderError`.
 */
export function createPushRoutes(steps: PushSteps = livePushSteps) {
  const routes = new Hono<{ Bindings: Env }>();

  routes.on("POST", PUSH_PATHS, async (c) => {
    const config = readConfig(c.env).push;
    const receivedAt = Date.now();
    const bytes = await readPushBody(c.req.raw);
    const decision = await decidePush({ bytes, url: c.req.url, headers: c.req.raw.headers }, config, receivedAt);

    if (decision.signature) {
      // Refused in `enforce` mode, stored with signature_valid = false in `report` mode.
      const { signature: reason } = decision;
      log("warn", "push_signature_invalid", { reason, mode: config.signatureMode, bytes: bytes.byteLength });
    }
    switch (decision.kind) {
      case "ping":
        log("info", "verification_ping", { kind: decision.trigger, signed: decision.signed });
        return pushAnswer("ignored");
      case "rejected":
        if (decision.reason === "not_configured") {
          log("error", "push_secret_missing", { hint: "set OMISELL_PUSH_SECRET or SIGNATURE_MODE" });
          throw new HttpError(503, "not_configured", "OMISELL_PUSH_SECRET is not set");
        }
        throw new HttpError(401, "invalid_signature");
      case "invalid": {
        // Kept and answered 200: a failure answer would only make Omisell send the same bytes
        // again, and count against the subscription's success rate. The row tells what was wrong.
        const stored = await storeInvalidPush(steps, c.env, decision.row);
        log("warn", "push_invalid", { reason: decision.reason, event_id: stored.id, stored: stored.inserted });
        return pushAnswer("invalid", stored.id);
      }
      case "accepted": {
        const durations = { leaseMs: config.claimLeaseMs };
        const outcome = await ingestPush(steps, c.env, c.executionCtx, decision.row, durations);
        return pushAnswer(outcome.status, outcome.eventId);
      }
    }
  });

  for (const path of PUSH_PATHS) {
    routes.all(path, () => {
      throw new HttpError(405, "method_not_allowed", "use POST", { headers: { Allow: "POST" } });
    });
  }
  return routes;
}

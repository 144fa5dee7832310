/**
 * `POST /webhooks/omisell` in the reference. The push is served by `push/route.ts`, not by the
 * API's router (it must stay apart: its own body limit, no token, an empty 200); it is declared
 * here only so that /openapi.json and /docs describe it with its answers.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ErrorBody } from "../schemas";

const pushHeaders = {
  "Push-Status": {
    description: "`accepted`, `duplicate`, `ignored` (a console URL check) or `invalid` (kept, with the reason).",
    schema: { type: "string" as const, enum: ["accepted", "duplicate", "ignored", "invalid"] },
  },
  "Push-Event-Id": {
    description: "The stored event's id (for `duplicate`, the first copy's); absent for `ignored`.",
    schema: { type: "string" as const },
  },
};

const errorAnswer = (description: string) => ({ description, content: { "application/json": { schema: ErrorBody } } });

/** The push, as Omisell sends it. Documented, never routed through the API. */
export const pushRoute = createRoute({
  method: "post",
  path: "/webhooks/omisell",
  operationId: "receivePush",
  tags: ["Pushes"],
  summary: "Receive a push from Omisell",
  description:
    'Omisell\'s push (webhook). Signed, not token-protected: `Authorization` is `hex(HMAC-SHA256(push secret, callback URL + "|" + raw body))`, or the push secret itself (`SIGNATURE_SCHEME`). At most 256 KiB. Every 200 has an empty body; what happened is in `Push-Status` and `Push-Event-Id`. This page cannot sign a push: use `npm run simulate`.',
  security: [],
  "x-auth": "Omisell's signature",
  "x-no-send": true,
  request: {
    headers: z.object({
      authorization: z.string().meta({ description: "The push signature (or the static push secret)." }),
    }),
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.record(z.string(), z.unknown()).meta({
            description: "Omisell's envelope: `event`, `request_id`, `data` with `omisell_order_number`, …",
            examples: [{ event: "order.shipped", request_id: "r-1", data: { omisell_order_number: "OM2411280001" } }],
          }),
        },
      },
    },
  },
  responses: {
    200: { description: "Stored, a duplicate, a URL check, or kept as invalid; empty body.", headers: pushHeaders },
    400: errorAnswer(
      "`invalid_payload`: the body could not be read (a signed body that is not usable is a 200 `invalid`).",
    ),
    401: errorAnswer("`invalid_signature`: the signature is missing or wrong (`SIGNATURE_MODE=enforce`)."),
    405: errorAnswer("`method_not_allowed`: only POST (`Allow: POST`)."),
    409: errorAnswer("`in_flight`: a copy is being stored right now; retry after `Retry-After`."),
    413: errorAnswer("`payload_too_large`: over 256 KiB."),
    503: errorAnswer("`storage_unavailable` (retry; `Retry-After`) or `not_configured` (no push secret in `enforce`)."),
  },
});

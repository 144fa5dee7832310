/** Forwarding's config (FORWARD_URL and its settings), the one part that never throws. */
import { z } from "zod";
import { int, optionalText, webhookKey } from "../lib/env-fields";
import { log } from "../lib/log";

/*
 * Forwarding is parsed apart from the sections and never throws: a bad value is logged once per
 * `env` object and turns forwarding off, so it can never stop pushes or follow-ups.
 */
const ForwardVars = z.object({
  FORWARD_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" }).optional()),
  FORWARD_SECRET: webhookKey,
  FORWARD_TIMEOUT_MS: int(10_000, 100, 120_000),
  // Seconds, as the queue's delaySeconds takes them: the first wait after a failed attempt.
  FORWARD_BACKOFF_BASE_SECONDS: int(30, 1, 3600),
});

/** Where settled events are forwarded: FORWARD_URL, and the key of FORWARD_SECRET. */
export type ForwardDestination = { url: string; key: Uint8Array };

export type ForwardConfig = {
  /** Null when forwarding is off: FORWARD_URL unset, or a forwarding var refused (logged). */
  destination: ForwardDestination | null;
  timeoutMs: number;
  backoffBaseSeconds: number;
};

const FORWARDING_OFF: ForwardConfig = { destination: null, timeoutMs: 10_000, backoffBaseSeconds: 30 };

export function parseForward(env: object): ForwardConfig {
  const parsed = ForwardVars.safeParse(env);
  if (!parsed.success) {
    const fields = Object.fromEntries(parsed.error.issues.map((issue) => [String(issue.path[0]), issue.message]));
    log("error", "forward_config_invalid", { fields, forwarding: "off" });
    return FORWARDING_OFF;
  }
  const { FORWARD_URL: url, FORWARD_SECRET: key } = parsed.data;
  if (url && !key) {
    log("error", "forward_config_invalid", {
      fields: { FORWARD_SECRET: "required when FORWARD_URL is set" },
      forwarding: "off",
    });
    return FORWARDING_OFF;
  }
  return {
    destination: url && key ? { url, key } : null,
    timeoutMs: parsed.data.FORWARD_TIMEOUT_MS,
    backoffBaseSeconds: parsed.data.FORWARD_BACKOFF_BASE_SECONDS,
  };
}

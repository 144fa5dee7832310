/** Where a destination's deliveries go and how they are signed: its URL and key(s). Pure. */
import type { ForwardConfig } from "../config";
import { decodeWebhookSecret } from "../lib/webhook-secret";
import { DEFAULT_DESTINATION_ID, type DestinationRow } from "../store/destinations";
import type { PostTarget } from "./send";

/** How long the previous secret stays valid after a rotation (both signatures are sent meanwhile). */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;

/**
 * The URL and signing keys of a destination at `now`: the default one's come from FORWARD_URL and
 * FORWARD_SECRET (config wins over its row); another's from its row, its current secret first and,
 * within a day of a rotation, the previous one too. Null when it has none usable (the default
 * destination while FORWARD_URL is unset).
 */
export function targetOf(destination: DestinationRow, config: ForwardConfig, now: number): PostTarget | null {
  if (destination.id === DEFAULT_DESTINATION_ID) {
    return config.destination ? { url: config.destination.url, keys: [config.destination.key] } : null;
  }
  const current = destination.secret ? decodeWebhookSecret(destination.secret) : null;
  if (!current) return null;
  const previous =
    destination.previous_secret && (destination.previous_secret_until ?? 0) > now
      ? decodeWebhookSecret(destination.previous_secret)
      : null;
  return { url: destination.url, keys: previous ? [current, previous] : [current] };
}

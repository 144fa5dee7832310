/**
 * The nudge that starts the destinations' walk of the change feed: a small message on the
 * `omisell-forwards` queue, sent by every write that settles events (the follow-up, the dead
 * letters, retention). It sits this low so that those rooms need nothing of forwarding.
 */
import { describeError } from "../errors";
import { log } from "../lib/log";
import type { MessageSender } from "./send";

/** Walk every active destination (`all`), or the one named. */
export type WalkNudge = { walk: string };

export const WALK_ALL = "all";

/**
 * Sends one nudge. Never throws: a nudge that cannot be sent is logged, and the minute cron walks
 * anyway (the walk starts from each destination's cursor in D1, so nothing is missed, only later).
 * @example await nudgeWalk(env.FORWARDS)
 */
export async function nudgeWalk(queue: MessageSender<WalkNudge>, destination = WALK_ALL): Promise<void> {
  try {
    await queue.sendBatch([{ body: { walk: destination }, contentType: "json" }]);
  } catch (err) {
    log("warn", "walk_nudge_failed", { destination, error: describeError(err) });
  }
}

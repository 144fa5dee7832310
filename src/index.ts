/**
 * Worker entry: HTTP (push endpoint, read API, dashboard), the follow-up and forwarding queue consumers,
 * the cron sweeper, and the Durable Object classes.
 */
import { app } from "./app";
import { runScheduled } from "./cron/scheduled";
import { consumeFollowups } from "./followup/consumer";
import { consumeDeadLetters } from "./followup/dead-letters";
import { type FollowupMessage, isDeadLetterQueue } from "./followup/message";
import { consumeForwards } from "./forward/consumer";
import { isForwardQueue } from "./forward/message";

export { ClaimShard } from "./dedupe/claim-shard";
export { OmisellRateLimiter } from "./omisell/limiter-object";
export { OmisellTokenHolder } from "./omisell/token-holder";

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    if (isForwardQueue(batch.queue)) await consumeForwards(batch, env);
    else if (isDeadLetterQueue(batch.queue)) await consumeDeadLetters(batch, env);
    else await consumeFollowups(batch, env);
  },
  async scheduled(controller, env) {
    await runScheduled(controller, env);
  },
} satisfies ExportedHandler<Env, FollowupMessage>;

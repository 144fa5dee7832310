/**
 * Worker entry: HTTP (push endpoint, read API, dashboard), the follow-up queue consumers,
 * the cron sweeper, and the Durable Object classes.
 */
import { app } from "./app";
import { runScheduled } from "./cron/scheduled";
import { consumeFollowups } from "./followup/consumer";
import { consumeDeadLetters } from "./followup/dead-letters";
import { type FollowupMessage, isDeadLetterQueue } from "./followup/message";

export { ClaimShard } from "./dedupe/claim-shard";
export { OmisellRateLimiter } from "./omisell/rate-limiter";
export { OmisellTokenHolder } from "./omisell/token-holder";

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    if (isDeadLetterQueue(batch.queue)) await consumeDeadLetters(batch, env);
    else await consumeFollowups(batch, env);
  },
  async scheduled(controller, env) {
    await runScheduled(controller, env);
  },
} satisfies ExportedHandler<Env, FollowupMessage>;

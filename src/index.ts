/**
 * The Worker's entry points: HTTP, the queue consumers (built with their live deps), the cron, and
 * the Durable Object classes.
 */
import { app } from "./app";
import { runScheduled } from "./cron/scheduled";
import { consumeFollowups } from "./followup/consumer";
import { consumeDeadLetters } from "./followup/dead-letters";
import { liveFollowupDeps } from "./followup/deps";
import { type FollowupMessage, isDeadLetterQueue } from "./followup/message";
import { consumeForwards } from "./forward/consumer";
import { liveForwardDeps } from "./forward/deps";
import { isForwardQueue } from "./forward/message";
import { withoutProbes } from "./queue/probe";

export { SignInGuard } from "./auth/sign-in-guard";
export { ClaimShard } from "./dedupe/claim-shard";
export { OmisellRateLimiter } from "./omisell/limiter-object";
export { OmisellTokenHolder } from "./omisell/token-holder";

export default {
  fetch: app.fetch,
  async queue(received, env) {
    // The doctor's probes are acknowledged unread, whatever the queue.
    const batch = withoutProbes(received);
    if (!batch) return;
    if (isForwardQueue(batch.queue)) await consumeForwards(batch, liveForwardDeps(env));
    else if (isDeadLetterQueue(batch.queue)) await consumeDeadLetters(batch, liveFollowupDeps(env));
    else await consumeFollowups(batch, liveFollowupDeps(env));
  },
  async scheduled(controller, env) {
    await runScheduled(controller, env);
  },
} satisfies ExportedHandler<Env, FollowupMessage>;

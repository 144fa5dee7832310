/** What forwarding needs from outside (settings, D1, its queue, the POST, a clock), as the worker gives it. */
import { type ForwardConfig, readConfig } from "../config";
import type { MessageSender } from "../queue/send";
import type { ForwardMessage } from "./message";
import { type PostTarget, type SendOutcome, sendDelivery } from "./send";

/**
 * Forwarding's consumer, walk and entry points take their I/O from here, so a test swaps one step
 * (the POST, the queue, the clock, the wait for a rate-cap slot) without patching a module.
 */
export type ForwardDeps = {
  /** FORWARD_*: the default destination (null while FORWARD_URL is unset), the timeout, the backoff. Never throws. */
  config: ForwardConfig;
  db: D1Database;
  /** The `omisell-forwards` queue. */
  queue: MessageSender<ForwardMessage>;
  /** One signed POST of a body to a destination, within FORWARD_TIMEOUT_MS. */
  post(target: PostTarget, webhookId: string, body: string): Promise<SendOutcome>;
  now(): number;
  random(): number;
  /** Waits for a rate-cap slot (at most a couple of seconds). */
  sleep(ms: number): Promise<void>;
};

export function liveForwardDeps(env: Env): ForwardDeps {
  const config = readConfig(env).forward;
  return {
    config,
    db: env.DB,
    queue: env.FORWARDS,
    post: (target, webhookId, body) => sendDelivery({ ...target, timeoutMs: config.timeoutMs }, webhookId, body),
    now: () => Date.now(),
    random: () => Math.random(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

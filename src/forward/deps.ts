/** What forwarding needs from outside (settings, D1, its queue, the POST, a clock), as the worker gives it. */
import { type ForwardConfig, type ForwardDestination, readConfig } from "../config";
import type { MessageSender } from "../queue/send";
import type { ForwardMessage } from "./message";
import { type SendOutcome, sendDelivery } from "./send";

/**
 * Forwarding's consumer and entry points take their I/O from here, so a test swaps one step
 * (the POST, the queue, the clock) without patching a module.
 */
export type ForwardDeps = {
  /** FORWARD_*: `destination` null means forwarding is off. Never throws. */
  config: ForwardConfig;
  db: D1Database;
  /** The `omisell-forwards` queue. */
  queue: MessageSender<ForwardMessage>;
  /** One signed POST of a delivery's body to the destination, within FORWARD_TIMEOUT_MS. */
  post(destination: ForwardDestination, deliveryId: string, body: string): Promise<SendOutcome>;
  now(): number;
  random(): number;
};

export function liveForwardDeps(env: Env): ForwardDeps {
  const config = readConfig(env).forward;
  return {
    config,
    db: env.DB,
    queue: env.FORWARDS,
    post: (destination, deliveryId, body) =>
      sendDelivery({ ...destination, timeoutMs: config.timeoutMs }, deliveryId, body),
    now: () => Date.now(),
    random: () => Math.random(),
  };
}

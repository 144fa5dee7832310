/** OmisellRateLimiter: the Durable Object holding one credential's (or seller's) leaky bucket of bucket.ts. */
import { DurableObject } from "cloudflare:workers";
import {
  acquire,
  type BucketState,
  type BucketView,
  type CallReport,
  emptyBucket,
  type Priority,
  type RateLimit,
  report,
  type SlotAnswer,
  viewBucket,
} from "./bucket";

const STORAGE_KEY = "bucket";

/**
 * One per Omisell credential (or seller, in partner mode), so every isolate, queue consumer and
 * cron run shares one view of how much of Omisell's budget is left. The bucket lives in memory and
 * in the object's storage: a restart or eviction does not forget a 429's pause or a full bucket.
 * Callers pass the configured `<calls>/<seconds>` with each request (they parse the config; the
 * object has nothing to parse), ask for a slot with `acquire`, and `report` Omisell's answer.
 */
export class OmisellRateLimiter extends DurableObject<Env> {
  /** The bucket in memory; undefined until first read from storage after a (re)start. */
  private state: BucketState | undefined;

  /** A slot for one call to Omisell at `priority`, or how long to wait before asking again. */
  async acquire(priority: Priority, limit: RateLimit): Promise<SlotAnswer> {
    const now = Date.now();
    const result = acquire(await this.load(limit, now), limit, priority, now);
    await this.save(result.state);
    return result.answer;
  }

  /**
   * The bucket as it stands, without taking a slot: the adaptive follow-up's view of the budget,
   * and the doctor's check that the object answers.
   */
  async peek(limit: RateLimit): Promise<BucketView> {
    const now = Date.now();
    return viewBucket(await this.load(limit, now), limit, now);
  }

  /** Omisell's answer to a granted call: its call-limit header, and a 429's pause. */
  async report(call: CallReport, limit: RateLimit): Promise<void> {
    const now = Date.now();
    await this.save(report(await this.load(limit, now), limit, call, now));
  }

  /** Storage is read once per start; the input gate holds other calls while it is read. */
  private async load(limit: RateLimit, now: number): Promise<BucketState> {
    this.state ??= (await this.ctx.storage.get<BucketState>(STORAGE_KEY)) ?? emptyBucket(limit, now);
    return this.state;
  }

  private async save(state: BucketState): Promise<void> {
    this.state = state;
    await this.ctx.storage.put(STORAGE_KEY, state);
  }
}

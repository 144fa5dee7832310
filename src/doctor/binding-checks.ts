/** The doctor's checks of the bindings: each queue takes a send, each Durable Object class answers. */
import { readConfig } from "../config";
import { describeError } from "../errors";
import { FORWARD_QUEUE } from "../forward/message";
import { TOKEN_HOLDER_NAME } from "../omisell/auth";
import { budgetOf, limiterName } from "../omisell/limiter-handle";
import { QUEUE_PROBE } from "../queue/probe";
import { type Finding, fail, pass, withTimeout } from "./check";

/** Each call to a binding within the check gets this long. */
const CALL_TIMEOUT_MS = 4_000;

type Probe = { name: string; call: () => Promise<string | undefined> };

/** Runs the probes side by side; the names that failed, with why, and the details of the others. */
async function probe(probes: Probe[]): Promise<{ failed: string[]; details: string[] }> {
  const outcomes = await Promise.allSettled(probes.map((p) => withTimeout(p.call(), CALL_TIMEOUT_MS, p.name)));
  const failed: string[] = [];
  const details: string[] = [];
  outcomes.forEach((outcome, i) => {
    const name = probes[i]?.name ?? "?";
    if (outcome.status === "rejected") failed.push(`${name} (${describeError(outcome.reason)})`);
    else if (outcome.value) details.push(outcome.value);
  });
  return { failed, details };
}

/**
 * A probe (`{probe: true}`, acknowledged unread by the consumers) sent to each queue the worker
 * sends to: omisell-followups and omisell-forwards.
 */
export async function checkQueues(env: Env): Promise<Finding> {
  const queues: [string, Queue][] = [
    ["omisell-followups", env.FOLLOWUPS],
    [FORWARD_QUEUE, env.FORWARDS],
  ];
  const { failed } = await probe(
    queues.map(([name, queue]) => ({
      name,
      call: async () => {
        await queue.send(QUEUE_PROBE, { contentType: "json" });
        return undefined;
      },
    })),
  );
  if (failed.length > 0) {
    return fail(
      `refused a send: ${failed.join(", ")}`,
      "create each missing queue with npx wrangler queues create <name> (npm run setup creates them), then deploy",
    );
  }
  return pass(`${queues.map(([name]) => name).join(" and ")} took a probe`);
}

/**
 * Each Durable Object class answers a read-only call: a claim shard, the Omisell token holder,
 * the rate limiter of the configured credential (whose fill it reports), a sign-in guard.
 */
export async function checkDurableObjects(env: Env): Promise<Finding> {
  const omisell = (() => {
    try {
      return readConfig(env).omisell;
    } catch {
      return null;
    }
  })();
  const { failed, details } = await probe([
    {
      name: "ClaimShard",
      call: async () => {
        await env.CLAIMS.get(env.CLAIMS.idFromName("doctor")).inspect("doctor");
        return undefined;
      },
    },
    {
      name: "OmisellTokenHolder",
      call: async () => {
        await env.OMISELL_TOKEN.get(env.OMISELL_TOKEN.idFromName(TOKEN_HOLDER_NAME)).describe();
        return undefined;
      },
    },
    {
      name: "OmisellRateLimiter",
      call: async () => {
        const limit = omisell ? budgetOf(omisell) : { capacity: 100, windowMs: 60_000 };
        const name = omisell ? await limiterName(omisell, null) : "doctor";
        const bucket = await env.OMISELL_LIMITER.get(env.OMISELL_LIMITER.idFromName(name)).peek(limit);
        const pausedForMs = Math.max(0, bucket.pausedUntil - Date.now());
        const paused = pausedForMs > 0 ? `, paused ${Math.ceil(pausedForMs / 1000)} s` : "";
        return `Omisell budget ${Math.round(bucket.level)}/${bucket.capacity} used${paused}`;
      },
    },
    {
      name: "SignInGuard",
      call: async () => {
        await env.SIGN_IN_GUARD.get(env.SIGN_IN_GUARD.idFromName("doctor")).countFailures();
        return undefined;
      },
    },
  ]);
  if (failed.length > 0) {
    return fail(
      `did not answer: ${failed.join(", ")}`,
      "the classes come with the [[durable_objects.bindings]] and [[migrations]] of wrangler.toml: deploy again with npx wrangler deploy",
    );
  }
  return pass(`ClaimShard, OmisellTokenHolder, OmisellRateLimiter and SignInGuard answered; ${details.join("; ")}`);
}

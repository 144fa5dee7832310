/**
 * Drives one target with autocannon: fixed connections and duration, each request a fresh
 * signed push from a push source. Returns the figures the report prints.
 */
import autocannon from "autocannon";
import type { PushSource } from "./pushes.ts";

export type LoadOptions = {
  url: string;
  path?: string;
  source: PushSource;
  connections: number;
  durationSec: number;
  signal?: AbortSignal;
};

/** One load run, as the report prints it (latencies in ms). */
export type LoadResult = {
  reqPerSec: number;
  p50: number;
  p99: number;
  max: number;
  total: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
};

export async function runLoad({
  url,
  path = "/webhooks/omisell",
  source,
  connections,
  durationSec,
  signal,
}: LoadOptions): Promise<LoadResult> {
  const instance = autocannon({
    url: `${url}${path}`,
    connections,
    duration: durationSec,
    pipelining: 1,
    timeout: 10,
    requests: [
      {
        method: "POST",
        setupRequest(request) {
          const push = source.next();
          return {
            ...request,
            method: "POST",
            path,
            body: push.body,
            headers: { "content-type": "application/json", authorization: push.authorization },
          };
        },
      },
    ],
  });
  const stop = () => instance.stop();
  signal?.addEventListener("abort", stop, { once: true });
  const result = await instance;
  signal?.removeEventListener("abort", stop);
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v.count]));
  const sent = result.requests.total;
  return {
    reqPerSec: sent / (result.duration || durationSec),
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    total: sent,
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  };
}

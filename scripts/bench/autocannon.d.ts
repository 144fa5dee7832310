/**
 * The part of autocannon's API the bench uses (the package ships no types): one run with fixed
 * connections and duration, requests shaped by `setupRequest`, and the figures of its result.
 */
declare module "autocannon" {
  export type Request = {
    method?: string;
    path?: string;
    body?: string | Buffer;
    headers?: Record<string, string>;
    /** Called before each request is sent; returns the request to send. */
    setupRequest?: (request: Request) => Request;
  };

  export type Options = {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    pipelining?: number;
    /** Seconds before a request counts as timed out. */
    timeout?: number;
    requests?: Request[];
  };

  export type Result = {
    /** Seconds the run lasted. */
    duration: number;
    requests: { total: number };
    latency: { p50: number; p99: number; max: number };
    "2xx": number;
    non2xx: number;
    errors: number;
    timeouts: number;
    statusCodeStats?: Record<string, { count: number }>;
  };

  /** A running load: awaited for its result, or stopped early. */
  export type Instance = PromiseLike<Result> & { stop(): void };

  export default function autocannon(options: Options): Instance;
}

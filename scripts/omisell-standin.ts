/**
 * A local stand-in for the Omisell API, for `npm start`, the end-to-end tests and the benchmark.
 *
 * Serves, in Omisell's envelope (`data`, `error`, `error_code`, `messages`, `request_id`, `timestamp`):
 *   GET  /api/v2/public/order/{omisell_order_number}   the order detail (scripts/order-detail-template.json,
 *                                                      with the status and times of an order made below)
 *   GET  /api/v2/public/order/list?updated_from=&updated_to=&status_group=all&page=&page_size=
 *        orders updated in [updated_from, updated_to] (epoch seconds, both inclusive), oldest first,
 *        page_size up to 100: {count, next, previous, results: [order headers]}, `next` a full URL
 *   POST /api/v2/auth/token/get/      {api_key, api_secret} -> {token, refresh_token, expired_time}
 *   POST /api/v1/auth/token/refresh/  {refresh}             -> a new token (each refresh token works once)
 *   (also the older /api/v1/auth/token/get/, /api/v2/public/token/get and /api/v2/public/token/refresh,
 *   which take `refresh_token` instead of `refresh`)
 * Auth of order calls: `Account <key>`, `Partner <key>` (with Seller-ID and Country), or `Omi <token>`
 * issued here and not expired. With `accountKey` set, only that key is accepted.
 *
 * Knobs (options of startOmisellStandin, CLI flags, or at runtime `POST /__standin/knobs` with JSON):
 *   latencyMs            delay before every answer
 *   errorRate            share of order and order-list calls answered `errorStatus` (default 500)
 *   rate429              share answered 429 with `Retry-After: retryAfterSeconds`
 *   malformedRate        share answered 200 with a body that is not JSON
 *   envelopeErrorRate    share answered 200 with `{"error": true, "error_code": envelopeErrorCode}`
 *   unauthorizedRate     share answered 401
 *   tokenTtlSeconds      lifetime of issued tokens (default 3600)
 *   tokenOmitExpiry      true: token answers carry no `expired_time` (as some real answers do)
 *   refreshFails         true: every refresh is answered 401
 *   apiKey, apiSecret    when set, the only credentials the token routes accept
 *   rateLimit            "<calls>/<seconds>" (e.g. "100/60"), default off: Omisell's leaky bucket over
 *                        every API call. Each API answer then carries `X-Omisell-Api-Call-Limit:
 *                        <used>/<capacity>`; a call that would overflow it is answered 429 with
 *                        `data.retry_after` (seconds) and no Retry-After header. Setting it empties the bucket.
 *   otherTool            share (0 to 1) of the bucket's rate the seller's "other tool" (an ERP sync, a
 *                        report) spends in the background, e.g. 0.2: its calls fill the bucket like ours,
 *                        so they show in the header; counted apart in the stats (`otherTool`).
 * Control: `GET /__standin/knobs` shows the knobs; `POST /__standin/orders` {omisell_order_number,
 * status_name?, updated_time?, order_number?} (or an array of them) creates or changes orders
 * (updated_time in epoch seconds, default now; no push is sent: whoever pushes the change, as
 * `npm run simulate` does, tells the stand-in first, so its order list and order detail show it)
 * and `GET /__standin/orders` lists them; `GET /__standin/stats` counts API calls by route (`order`,
 * `order_list`, `token`, `refresh`) and by outcome (`ok`, `429`, `401`, …), the other tool's calls and
 * refusals, and the fullest the bucket was after one of our calls (`peakUsed`);
 * `POST /__standin/reset` clears the counts and empties the bucket (and, with `{"knobs": true}`, the
 * knobs; with `{"orders": true}`, the orders).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createLeakyBucket, type LeakyBucket, parseRateLimit } from "./lib/leaky-bucket.ts";
import { BadRequest, createOrderBook, type OrderHeader } from "./lib/standin-orders.ts";

const TEMPLATE = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), "order-detail-template.json"), "utf8"),
) as { data: Record<string, unknown> };

/** How the stand-in behaves; see the file header for each. */
export type StandinKnobs = {
  latencyMs: number;
  errorRate: number;
  errorStatus: number;
  rate429: number;
  retryAfterSeconds: number;
  malformedRate: number;
  envelopeErrorRate: number;
  envelopeErrorCode: number;
  unauthorizedRate: number;
  tokenTtlSeconds: number;
  tokenOmitExpiry: boolean;
  refreshFails: boolean;
  accountKey: string | null;
  apiKey: string | null;
  apiSecret: string | null;
  rateLimit: string | null;
  otherTool: number;
};

export const DEFAULT_KNOBS: Readonly<StandinKnobs> = Object.freeze({
  latencyMs: 0,
  errorRate: 0,
  errorStatus: 500,
  rate429: 0,
  retryAfterSeconds: 1,
  malformedRate: 0,
  envelopeErrorRate: 0,
  envelopeErrorCode: 500,
  unauthorizedRate: 0,
  tokenTtlSeconds: 3600,
  tokenOmitExpiry: false,
  refreshFails: false,
  accountKey: null,
  apiKey: null,
  apiSecret: null,
  rateLimit: null,
  otherTool: 0,
});

type KnobOf<T> = { [K in keyof StandinKnobs]: StandinKnobs[K] extends T ? K : never }[keyof StandinKnobs];
const NUMERIC_KNOBS: readonly KnobOf<number>[] = [
  "latencyMs",
  "errorRate",
  "errorStatus",
  "rate429",
  "retryAfterSeconds",
  "malformedRate",
  "envelopeErrorRate",
  "envelopeErrorCode",
  "unauthorizedRate",
  "tokenTtlSeconds",
  "otherTool",
];
const BOOLEAN_KNOBS: readonly KnobOf<boolean>[] = ["tokenOmitExpiry", "refreshFails"];
const TEXT_KNOBS: readonly KnobOf<string | null>[] = ["accountKey", "apiKey", "apiSecret"];

const isOneOf = <T extends string>(names: readonly T[], name: string): name is T =>
  (names as readonly string[]).includes(name);

/**
 * Known knobs only, numbers as numbers. Strict (over HTTP): an unknown name throws, so a typo is
 * noticed; lenient (options of startOmisellStandin): other options are not knobs and are ignored.
 */
function readKnobs(input: object | null | undefined, strict = true): Partial<StandinKnobs> {
  const knobs: Partial<StandinKnobs> = {};
  for (const [key, value] of Object.entries(input ?? {})) {
    if (isOneOf(TEXT_KNOBS, key)) {
      knobs[key] = value === null || value === "" ? null : String(value);
    } else if (key === "rateLimit") {
      const limit = parseRateLimit(value);
      knobs.rateLimit = limit ? `${limit.capacity}/${limit.seconds}` : null;
    } else if (isOneOf(BOOLEAN_KNOBS, key)) {
      if (![true, false, "true", "false"].includes(value)) throw new Error(`knob ${key} must be true or false`);
      knobs[key] = value === true || value === "true";
    } else if (isOneOf(NUMERIC_KNOBS, key)) {
      const number = Number(value);
      if (!Number.isFinite(number) || number < 0) throw new Error(`knob ${key} must be a number >= 0`);
      if (key === "otherTool" && number >= 1) throw new Error("knob otherTool must be a share below 1, e.g. 0.2");
      knobs[key] = number;
    } else if (strict) {
      throw new Error(`unknown knob ${key}`);
    }
  }
  return knobs;
}

function envelope(data: unknown, { error = false, code = 200, messages = "" } = {}) {
  return {
    data,
    error,
    error_code: code,
    messages,
    request_id: randomUUID(),
    timestamp: Math.floor(Date.now() / 1000),
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

type Route =
  | { name: "token"; needsSecret: boolean }
  | { name: "refresh" }
  | { name: "order_list" }
  | { name: "order"; number: string };

/** Which API route a request is, or null for anything else. */
function routeOf(method: string | undefined, path: string): Route | null {
  const bare = path.endsWith("/") ? path.slice(0, -1) : path;
  if (method === "POST") {
    if (["/api/v2/auth/token/get", "/api/v1/auth/token/get", "/api/v2/public/token/get"].includes(bare)) {
      return { name: "token", needsSecret: bare.startsWith("/api/v2/auth/") };
    }
    if (["/api/v1/auth/token/refresh", "/api/v2/public/token/refresh"].includes(bare)) return { name: "refresh" };
  }
  if (method === "GET") {
    if (bare === "/api/v2/public/order/list") return { name: "order_list" };
    const order = bare.match(/^\/api\/v2\/public\/order\/([^/]+)$/);
    if (order) return { name: "order", number: decodeURIComponent(order[1] ?? "") };
  }
  return null;
}

/**
 * API calls counted by route (`order`, `order_list`, `token`, `refresh`, `other`) and by outcome
 * (`ok`, `429`, …); the other tool's calls apart (`otherTool`); `peakUsed`: the fullest the bucket
 * was (its header's `used`) after a call of ours it let through.
 */
export type StandinStats = {
  requests: number;
  routes: Record<string, number>;
  outcomes: Record<string, number>;
  otherTool: { calls: number; refused: number };
  peakUsed: number;
};

/** Where to listen, and knobs to start with (strings as the command line gives them are read too). */
export type StandinOptions = { port?: number; host?: string } & {
  [K in keyof StandinKnobs]?: StandinKnobs[K] | string | undefined;
};

export type OmisellStandin = {
  url: string;
  port: number;
  close(): Promise<void>;
  /** Changes knobs as `POST /__standin/knobs` does; returns all of them. */
  setKnobs(next: Record<string, unknown>): StandinKnobs;
  /** Creates or changes an order, as `POST /__standin/orders` does. */
  setOrder(input: Record<string, unknown>): OrderHeader;
  stats(): StandinStats;
};

type Headers = Record<string, string>;
type Reply = (status: number, body: unknown, headers?: Headers) => void;

export async function startOmisellStandin({
  port = 8788,
  host = "127.0.0.1",
  ...options
}: StandinOptions = {}): Promise<OmisellStandin> {
  let knobs: StandinKnobs = { ...DEFAULT_KNOBS };
  let bucket: LeakyBucket | null = null;
  let otherTimer: ReturnType<typeof setInterval> | null = null;
  const tokens = new Map<string, number>(); // token -> expiry ms
  const refreshTokens = new Set<string>();
  const orders = createOrderBook();
  let counts = emptyCounts();

  /** Merges knobs; a new rateLimit starts an empty bucket. */
  function applyKnobs(next: Partial<StandinKnobs>): StandinKnobs {
    knobs = { ...knobs, ...next };
    if ("rateLimit" in next) resetBucket();
    if ("rateLimit" in next || "otherTool" in next) runOtherTool();
    return { ...knobs };
  }
  function resetBucket(): void {
    const limit = parseRateLimit(knobs.rateLimit);
    bucket = limit ? createLeakyBucket(limit, Date.now()) : null;
  }
  applyKnobs(readKnobs(options, false));

  function emptyCounts(): StandinStats {
    return { requests: 0, routes: {}, outcomes: {}, otherTool: { calls: 0, refused: 0 }, peakUsed: 0 };
  }

  /** The other tool: one call every (window / capacity) / share, from the same bucket as ours. */
  function runOtherTool(): void {
    if (otherTimer) clearInterval(otherTimer);
    otherTimer = null;
    const limit = parseRateLimit(knobs.rateLimit);
    if (!limit || knobs.otherTool <= 0) return;
    const everyMs = (limit.seconds * 1000) / limit.capacity / knobs.otherTool;
    let due = Date.now();
    // Ticks of at least 10 ms, each taking the calls that fell due since the last.
    otherTimer = setInterval(
      () => {
        const now = Date.now();
        for (; due <= now; due += everyMs) {
          const taken = bucket?.take(now);
          if (taken?.ok) counts.otherTool.calls += 1;
          else counts.otherTool.refused += 1;
        }
      },
      Math.max(10, Math.floor(everyMs)),
    );
    otherTimer.unref?.();
  }
  function count(route: string, outcome: string): void {
    counts.requests += 1;
    counts.routes[route] = (counts.routes[route] ?? 0) + 1;
    counts.outcomes[outcome] = (counts.outcomes[outcome] ?? 0) + 1;
  }

  function issueToken() {
    const token = `standin-${randomUUID()}`;
    const refresh = `refresh-${randomUUID()}`;
    const expiresAt = Date.now() + knobs.tokenTtlSeconds * 1000;
    tokens.set(token, expiresAt);
    refreshTokens.add(refresh);
    const data: { token: string; refresh_token: string; expired_time?: number } = {
      token,
      refresh_token: refresh,
      expired_time: Math.floor(expiresAt / 1000),
    };
    if (knobs.tokenOmitExpiry) delete data.expired_time;
    return data;
  }

  function authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? "";
    const [scheme, ...rest] = header.split(" ");
    const credential = rest.join(" ").trim();
    if (!credential) return false;
    if (scheme === "Account") return knobs.accountKey === null || credential === knobs.accountKey;
    if (scheme === "Partner") return Boolean(req.headers["seller-id"] && req.headers.country);
    if (scheme === "Omi") return (tokens.get(credential) ?? 0) > Date.now();
    return false;
  }

  /** Picks the outcome of one order call from the knobs (shares are cumulative, in this order). */
  function drawOutcome(): "429" | "error" | "malformed" | "envelope_error" | "401" | "ok" {
    const roll = Math.random();
    let edge = 0;
    for (const [outcome, share] of [
      ["429", knobs.rate429],
      ["error", knobs.errorRate],
      ["malformed", knobs.malformedRate],
      ["envelope_error", knobs.envelopeErrorRate],
      ["401", knobs.unauthorizedRate],
    ] as const) {
      edge += share;
      if (roll < edge) return outcome;
    }
    return "ok";
  }

  async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    const body = await readJsonOrList(req);
    if (Array.isArray(body)) throw new BadRequest("expected a JSON object");
    return body;
  }

  /** A JSON object, or an array of objects. */
  async function readJsonOrList(req: IncomingMessage): Promise<Record<string, unknown> | Record<string, unknown>[]> {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    if (!raw.trim()) return {};
    const body: unknown = JSON.parse(raw);
    const isObject = (value: unknown) => value !== null && typeof value === "object" && !Array.isArray(value);
    if (Array.isArray(body) && body.every(isObject)) return body as Record<string, unknown>[];
    if (!isObject(body)) throw new BadRequest("expected a JSON object");
    return body as Record<string, unknown>;
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  }

  /** The stand-in's own controls, under /__standin/. */
  async function control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === "/__standin/knobs") {
      if (req.method === "POST") applyKnobs(readKnobs(await readJson(req)));
      return send(res, 200, knobs);
    }
    if (path === "/__standin/stats") return send(res, 200, counts);
    if (path === "/__standin/reset" && req.method === "POST") {
      const body = await readJson(req);
      counts = emptyCounts();
      if (body.knobs) knobs = { ...DEFAULT_KNOBS };
      if (body.orders) orders.clear();
      resetBucket();
      runOtherTool();
      return send(res, 200, { knobs, stats: counts });
    }
    if (path === "/__standin/orders" && req.method === "POST") {
      const body = await readJsonOrList(req);
      const now = nowSeconds();
      return send(
        res,
        200,
        Array.isArray(body) ? body.map((order) => orders.upsert(order, now)) : orders.upsert(body, now),
      );
    }
    if (path === "/__standin/orders" && req.method === "GET") {
      return send(res, 200, orders.all());
    }
    return send(res, 404, { error: true, error_code: 404, messages: "no such control" });
  }

  /** An API call that passed the rate limit; `reply` adds the call-limit header. */
  async function api(req: IncomingMessage, route: Route, url: URL, reply: Reply): Promise<void> {
    if (route.name === "token") {
      const body = await readJson(req);
      const refused = (messages: string) => {
        count("token", "401");
        return reply(401, envelope(null, { error: true, code: 401, messages }));
      };
      if (!body.api_key) return refused("api_key is required");
      if (route.needsSecret && !body.api_secret) return refused("api_secret is required");
      if (knobs.apiKey !== null && body.api_key !== knobs.apiKey) return refused("wrong api_key");
      if (knobs.apiSecret !== null && route.needsSecret && body.api_secret !== knobs.apiSecret) {
        return refused("wrong api_secret");
      }
      count("token", "ok");
      return reply(200, envelope(issueToken()));
    }
    if (route.name === "refresh") {
      const body = await readJson(req);
      const given = body.refresh ?? body.refresh_token;
      if (knobs.refreshFails || typeof given !== "string" || !refreshTokens.delete(given)) {
        count("refresh", "401");
        return reply(401, envelope(null, { error: true, code: 401, messages: "invalid refresh token" }));
      }
      count("refresh", "ok");
      return reply(200, envelope(issueToken()));
    }

    if (!authorized(req)) {
      count(route.name, "401");
      return reply(401, envelope(null, { error: true, code: 401, messages: "unauthorized" }));
    }
    const outcome = drawOutcome();
    count(route.name, outcome === "error" ? String(knobs.errorStatus) : outcome);
    switch (outcome) {
      case "429":
        return reply(429, envelope(null, { error: true, code: 429, messages: "too many requests" }), {
          "retry-after": String(knobs.retryAfterSeconds),
        });
      case "error":
        return reply(
          knobs.errorStatus,
          envelope(null, { error: true, code: knobs.errorStatus, messages: "stand-in error" }),
        );
      case "malformed":
        return reply(200, "<html>upstream glitch</html>", { "content-type": "text/html" });
      case "envelope_error":
        return reply(
          200,
          envelope(null, { error: true, code: knobs.envelopeErrorCode, messages: "stand-in envelope error" }),
        );
      case "401":
        return reply(401, envelope(null, { error: true, code: 401, messages: "token expired" }));
    }
    if (route.name === "order_list") {
      const base = `http://${req.headers.host ?? `${host}:${port}`}${url.pathname}`;
      const pageUrl = (page: number) => {
        const query = new URLSearchParams(url.searchParams);
        query.set("page", String(page));
        return `${base}?${query}`;
      };
      return reply(200, envelope(orders.list(url.searchParams, pageUrl)));
    }
    const made = orders.get(route.number);
    const detail = made
      ? { ...TEMPLATE.data, ...made }
      : { ...TEMPLATE.data, omisell_order_number: route.number, updated_time: nowSeconds() };
    return reply(200, envelope(detail));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://standin");
    if (url.pathname.startsWith("/__standin/")) return control(req, res, url.pathname);

    if (knobs.latencyMs > 0) await new Promise((r) => setTimeout(r, knobs.latencyMs));

    const route = routeOf(req.method, url.pathname);
    if (!route) {
      count("other", "404");
      return send(res, 404, envelope(null, { error: true, code: 404, messages: "not found" }));
    }
    let limitHeader: Headers = {};
    if (bucket) {
      const taken = bucket.take(Date.now());
      limitHeader = { "x-omisell-api-call-limit": `${taken.used}/${bucket.capacity}` };
      if (taken.ok) counts.peakUsed = Math.max(counts.peakUsed, taken.used);
      if (!taken.ok) {
        count(route.name, "429");
        const data = { retry_after: taken.retryAfterSeconds };
        return send(
          res,
          429,
          envelope(data, { error: true, code: 429, messages: "API call limit exceeded" }),
          limitHeader,
        );
      }
    }
    const reply: Reply = (status, body, headers = {}) => send(res, status, body, { ...limitHeader, ...headers });
    try {
      return await api(req, route, url, reply);
    } catch (err) {
      if (!(err instanceof BadRequest) && !(err instanceof SyntaxError)) throw err;
      count(route.name, "400");
      return reply(400, envelope(null, { error: true, code: 400, messages: err.message }));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) =>
      send(res, 400, { error: true, error_code: 400, messages: err instanceof Error ? err.message : String(err) }),
    );
  });
  await new Promise<void>((resolveListen) => server.listen(port, host, resolveListen));
  const address = server.address() as AddressInfo;
  const url = `http://${host}:${address.port}`;
  return {
    url,
    port: address.port,
    close: () =>
      new Promise<void>((resolveClose) => {
        if (otherTimer) clearInterval(otherTimer);
        server.closeAllConnections?.();
        server.close(() => resolveClose());
      }),
    setKnobs: (next) => applyKnobs(readKnobs(next)),
    setOrder: (input) => orders.upsert(input, nowSeconds()),
    stats: () => structuredClone(counts),
  };
}

/** `--latency-ms 50 --error-rate 0.1` -> { latencyMs: 50, errorRate: 0.1 } */
function knobsFromArgv(argv: string[]): Record<string, string | undefined> {
  const knobs: Record<string, string | undefined> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? "";
    if (!flag.startsWith("--")) continue;
    const key = flag.slice(2).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    knobs[key.replace(/^latency$/, "latencyMs")] = argv[++i];
  }
  return knobs;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const standin = await startOmisellStandin({
    port: Number(process.env.STANDIN_PORT ?? 8788),
    rateLimit: process.env.STANDIN_RATE_LIMIT,
    ...knobsFromArgv(process.argv.slice(2)),
  });
  console.log(`Omisell stand-in on ${standin.url} (knobs: POST ${standin.url}/__standin/knobs)`);
}

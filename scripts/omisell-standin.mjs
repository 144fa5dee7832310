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
 * Control: `GET /__standin/knobs` shows the knobs; `POST /__standin/orders` {omisell_order_number,
 * status_name?, updated_time?, order_number?} creates or changes an order (updated_time in epoch seconds,
 * default now; no push is sent) and `GET /__standin/orders` lists them; `GET /__standin/stats` counts
 * API calls by route (`order`, `order_list`, `token`, `refresh`) and by outcome (`ok`, `429`, `401`, …);
 * `POST /__standin/reset` clears the counts and empties the bucket (and, with `{"knobs": true}`, the
 * knobs; with `{"orders": true}`, the orders).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createLeakyBucket, parseRateLimit } from "./lib/leaky-bucket.mjs";
import { BadRequest, createOrderBook } from "./lib/standin-orders.mjs";

const TEMPLATE = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), "order-detail-template.json"), "utf8"),
);

export const DEFAULT_KNOBS = Object.freeze({
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
});

const NUMERIC_KNOBS = Object.keys(DEFAULT_KNOBS).filter((key) => typeof DEFAULT_KNOBS[key] === "number");
const BOOLEAN_KNOBS = Object.keys(DEFAULT_KNOBS).filter((key) => typeof DEFAULT_KNOBS[key] === "boolean");
const TEXT_KNOBS = ["accountKey", "apiKey", "apiSecret"];

/**
 * Known knobs only, numbers as numbers. Strict (over HTTP): an unknown name throws, so a typo is
 * noticed; lenient (options of startOmisellStandin): other options are not knobs and are ignored.
 */
function readKnobs(input, strict = true) {
  const knobs = {};
  for (const [key, value] of Object.entries(input ?? {})) {
    if (TEXT_KNOBS.includes(key)) {
      knobs[key] = value === null || value === "" ? null : String(value);
    } else if (key === "rateLimit") {
      const limit = parseRateLimit(value);
      knobs.rateLimit = limit ? `${limit.capacity}/${limit.seconds}` : null;
    } else if (BOOLEAN_KNOBS.includes(key)) {
      if (![true, false, "true", "false"].includes(value)) throw new Error(`knob ${key} must be true or false`);
      knobs[key] = value === true || value === "true";
    } else if (NUMERIC_KNOBS.includes(key)) {
      const number = Number(value);
      if (!Number.isFinite(number) || number < 0) throw new Error(`knob ${key} must be a number >= 0`);
      knobs[key] = number;
    } else if (strict) {
      throw new Error(`unknown knob ${key}`);
    }
  }
  return knobs;
}

function envelope(data, { error = false, code = 200, messages = "" } = {}) {
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

/** Which API route a request is, or null for anything else. */
function routeOf(method, path) {
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
    if (order) return { name: "order", number: decodeURIComponent(order[1]) };
  }
  return null;
}

export async function startOmisellStandin({ port = 8788, host = "127.0.0.1", ...options } = {}) {
  let knobs = { ...DEFAULT_KNOBS };
  let bucket = null;
  const tokens = new Map(); // token -> expiry ms
  const refreshTokens = new Set();
  const orders = createOrderBook();
  let counts = emptyCounts();

  /** Merges knobs; a new rateLimit starts an empty bucket. */
  function applyKnobs(next) {
    knobs = { ...knobs, ...next };
    if ("rateLimit" in next) resetBucket();
    return { ...knobs };
  }
  function resetBucket() {
    const limit = parseRateLimit(knobs.rateLimit);
    bucket = limit ? createLeakyBucket(limit, Date.now()) : null;
  }
  applyKnobs(readKnobs(options, false));

  function emptyCounts() {
    return { requests: 0, routes: {}, outcomes: {} };
  }
  function count(route, outcome) {
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
    const data = { token, refresh_token: refresh, expired_time: Math.floor(expiresAt / 1000) };
    if (knobs.tokenOmitExpiry) delete data.expired_time;
    return data;
  }

  function authorized(req) {
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
  function drawOutcome() {
    const roll = Math.random();
    let edge = 0;
    for (const [outcome, share] of [
      ["429", knobs.rate429],
      ["error", knobs.errorRate],
      ["malformed", knobs.malformedRate],
      ["envelope_error", knobs.envelopeErrorRate],
      ["401", knobs.unauthorizedRate],
    ]) {
      edge += share;
      if (roll < edge) return outcome;
    }
    return "ok";
  }

  async function readJson(req) {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    if (!raw.trim()) return {};
    const body = JSON.parse(raw);
    if (body === null || typeof body !== "object" || Array.isArray(body))
      throw new BadRequest("expected a JSON object");
    return body;
  }

  function send(res, status, body, headers = {}) {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  }

  /** The stand-in's own controls, under /__standin/. */
  async function control(req, res, path) {
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
      return send(res, 200, { knobs, stats: counts });
    }
    if (path === "/__standin/orders" && req.method === "POST") {
      return send(res, 200, orders.upsert(await readJson(req), nowSeconds()));
    }
    if (path === "/__standin/orders" && req.method === "GET") {
      return send(res, 200, orders.all());
    }
    return send(res, 404, { error: true, error_code: 404, messages: "no such control" });
  }

  /** An API call that passed the rate limit; `reply` adds the call-limit header. */
  async function api(req, route, url, reply) {
    if (route.name === "token") {
      const body = await readJson(req);
      const refused = (messages) => {
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
      if (knobs.refreshFails || !refreshTokens.delete(given)) {
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
      const pageUrl = (page) => {
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

  async function handle(req, res) {
    const url = new URL(req.url ?? "/", "http://standin");
    if (url.pathname.startsWith("/__standin/")) return control(req, res, url.pathname);

    if (knobs.latencyMs > 0) await new Promise((r) => setTimeout(r, knobs.latencyMs));

    const route = routeOf(req.method, url.pathname);
    if (!route) {
      count("other", "404");
      return send(res, 404, envelope(null, { error: true, code: 404, messages: "not found" }));
    }
    let limitHeader = {};
    if (bucket) {
      const taken = bucket.take(Date.now());
      limitHeader = { "x-omisell-api-call-limit": `${taken.used}/${bucket.capacity}` };
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
    const reply = (status, body, headers = {}) => send(res, status, body, { ...limitHeader, ...headers });
    try {
      return await api(req, route, url, reply);
    } catch (err) {
      if (!(err instanceof BadRequest) && !(err instanceof SyntaxError)) throw err;
      count(route.name, "400");
      return reply(400, envelope(null, { error: true, code: 400, messages: err.message }));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => send(res, 400, { error: true, error_code: 400, messages: String(err.message) }));
  });
  await new Promise((resolveListen) => server.listen(port, host, resolveListen));
  const address = server.address();
  const url = `http://${host}:${address.port}`;
  return {
    url,
    port: address.port,
    close: () =>
      new Promise((resolveClose) => {
        server.closeAllConnections?.();
        server.close(() => resolveClose());
      }),
    setKnobs: (next) => applyKnobs(readKnobs(next)),
    /** Creates or changes an order, as `POST /__standin/orders` does. */
    setOrder: (input) => orders.upsert(input, nowSeconds()),
    stats: () => structuredClone(counts),
  };
}

/** `--latency-ms 50 --error-rate 0.1` -> { latencyMs: 50, errorRate: 0.1 } */
function knobsFromArgv(argv) {
  const knobs = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (!flag.startsWith("--")) continue;
    const key = flag.slice(2).replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
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

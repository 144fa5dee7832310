/**
 * A local stand-in for the Omisell API, for `npm start`, the end-to-end tests and the benchmark.
 *
 * Serves, in Omisell's envelope (`data`, `error`, `error_code`, `messages`, `request_id`, `timestamp`):
 *   GET  /api/v2/public/order/{omisell_order_number}  the order detail (scripts/order-detail-template.json)
 *   POST /api/v2/public/token/get       {api_key}        -> {token, refresh_token, expired_time}
 *   POST /api/v2/public/token/refresh   {refresh_token}  -> a new token
 * Auth: `Account <key>`, `Partner <key>` (with Seller-ID and Country), or `Omi <token>` issued
 * here and not expired. With `accountKey` set, only that key is accepted.
 *
 * Knobs (options of startOmisellStandin, CLI flags, or at runtime `POST /__standin/knobs` with JSON):
 *   latencyMs            delay before every answer
 *   errorRate            share of order calls answered `errorStatus` (default 500)
 *   rate429              share answered 429 with `Retry-After: retryAfterSeconds`
 *   malformedRate        share answered 200 with a body that is not JSON
 *   envelopeErrorRate    share answered 200 with `{"error": true, "error_code": envelopeErrorCode}`
 *   unauthorizedRate     share answered 401
 *   tokenTtlSeconds      lifetime of issued tokens (default 3600)
 * `GET /__standin/knobs` shows them; `GET /__standin/stats` counts requests by route and outcome;
 * `POST /__standin/reset` clears the counts (and, with `{"knobs": true}`, the knobs).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

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
  accountKey: null,
});

const NUMERIC_KNOBS = Object.keys(DEFAULT_KNOBS).filter((key) => typeof DEFAULT_KNOBS[key] === "number");

/**
 * Known knobs only, numbers as numbers. Strict (over HTTP): an unknown name throws, so a typo is
 * noticed; lenient (options of startOmisellStandin): other options are not knobs and are ignored.
 */
function readKnobs(input, strict = true) {
  const knobs = {};
  for (const [key, value] of Object.entries(input ?? {})) {
    if (key === "accountKey") {
      knobs.accountKey = value === null || value === "" ? null : String(value);
      continue;
    }
    if (!NUMERIC_KNOBS.includes(key)) {
      if (strict) throw new Error(`unknown knob ${key}`);
      continue;
    }
    const number = Number(value);
    if (!Number.isFinite(number) || number < 0) throw new Error(`knob ${key} must be a number >= 0`);
    knobs[key] = number;
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

function orderDetail(number) {
  return { ...TEMPLATE.data, omisell_order_number: number, updated_time: Math.floor(Date.now() / 1000) };
}

export async function startOmisellStandin({ port = 8788, host = "127.0.0.1", ...options } = {}) {
  let knobs = { ...DEFAULT_KNOBS, ...readKnobs(options, false) };
  const tokens = new Map(); // token -> expiry ms
  const refreshTokens = new Set();
  let counts = emptyCounts();

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
    return { token, refresh_token: refresh, expired_time: Math.floor(expiresAt / 1000) };
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
    return JSON.parse(raw);
  }

  function send(res, status, body, headers = {}) {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  }

  async function handle(req, res) {
    const url = new URL(req.url ?? "/", "http://standin");
    const path = url.pathname;

    if (path === "/__standin/knobs") {
      if (req.method === "POST") knobs = { ...knobs, ...readKnobs(await readJson(req)) };
      return send(res, 200, knobs);
    }
    if (path === "/__standin/stats") return send(res, 200, counts);
    if (path === "/__standin/reset" && req.method === "POST") {
      const body = await readJson(req);
      counts = emptyCounts();
      if (body.knobs) knobs = { ...DEFAULT_KNOBS };
      return send(res, 200, { knobs, stats: counts });
    }

    if (knobs.latencyMs > 0) await new Promise((r) => setTimeout(r, knobs.latencyMs));

    if (req.method === "POST" && path === "/api/v2/public/token/get") {
      const body = await readJson(req);
      if (!body.api_key) {
        count("token", "401");
        return send(res, 401, envelope(null, { error: true, code: 401, messages: "api_key is required" }));
      }
      count("token", "ok");
      return send(res, 200, envelope(issueToken()));
    }
    if (req.method === "POST" && path === "/api/v2/public/token/refresh") {
      const body = await readJson(req);
      if (!refreshTokens.delete(body.refresh_token)) {
        count("refresh", "401");
        return send(res, 401, envelope(null, { error: true, code: 401, messages: "invalid refresh_token" }));
      }
      count("refresh", "ok");
      return send(res, 200, envelope(issueToken()));
    }

    const order = path.match(/^\/api\/v2\/public\/order\/([^/]+)$/);
    if (req.method === "GET" && order) {
      if (!authorized(req)) {
        count("order", "401");
        return send(res, 401, envelope(null, { error: true, code: 401, messages: "unauthorized" }));
      }
      const outcome = drawOutcome();
      count("order", outcome === "error" ? String(knobs.errorStatus) : outcome);
      switch (outcome) {
        case "429":
          return send(res, 429, envelope(null, { error: true, code: 429, messages: "too many requests" }), {
            "retry-after": String(knobs.retryAfterSeconds),
          });
        case "error":
          return send(
            res,
            knobs.errorStatus,
            envelope(null, { error: true, code: knobs.errorStatus, messages: "stand-in error" }),
          );
        case "malformed":
          return send(res, 200, "<html>upstream glitch</html>", { "content-type": "text/html" });
        case "envelope_error":
          return send(
            res,
            200,
            envelope(null, { error: true, code: knobs.envelopeErrorCode, messages: "stand-in envelope error" }),
          );
        case "401":
          return send(res, 401, envelope(null, { error: true, code: 401, messages: "token expired" }));
        default:
          return send(res, 200, envelope(orderDetail(decodeURIComponent(order[1]))));
      }
    }

    count("other", "404");
    send(res, 404, envelope(null, { error: true, code: 404, messages: "not found" }));
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
    setKnobs(next) {
      knobs = { ...knobs, ...readKnobs(next) };
      return { ...knobs };
    },
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
    ...knobsFromArgv(process.argv.slice(2)),
  });
  console.log(`Omisell stand-in on ${standin.url} (knobs: POST ${standin.url}/__standin/knobs)`);
}

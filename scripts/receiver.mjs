// @ts-check
/**
 * `npm run receiver -- --secret whsec_… [--port 8789] [--fail-status 500 --fail-first N] [--down-for S]`:
 * a local destination for omisell-push's forwarding (FORWARD_URL=http://127.0.0.1:8789/). Checks the
 * Standard Webhooks signature of every POST (any path) with --secret or FORWARD_SECRET, prints one line
 * per delivery (type, event id, order number, webhook-id, attempt n of that webhook-id), and answers
 * 204 when the signature is valid, 401 when not.
 *
 * It can be told to fail, to watch the sender retry:
 *   --fail-status 500 --fail-first N   answer the first N valid attempts of each webhook-id with that status
 *   --down-for S                       not listening (connection refused) for the first S seconds
 *   --tolerance S                      accepted webhook-timestamp age (default 300; 0 = any)
 * and at run time: `POST /__receiver/knobs` with JSON {failStatus, failFirst, downForSeconds, toleranceSeconds}
 * (downForSeconds stops listening now for that long); `GET /__receiver/knobs`; `GET /__receiver/deliveries`
 * lists what arrived; `POST /__receiver/reset` forgets deliveries and attempt counts.
 */
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { secretKey, signatureProblem } from "./lib/standard-webhooks.mjs";

const KNOB_NAMES = ["failStatus", "failFirst", "downForSeconds", "toleranceSeconds"];

/** @typedef {{ failStatus: number, failFirst: number, downForSeconds: number, toleranceSeconds: number }} Knobs */

/**
 * Known knobs only, as whole numbers; anything else throws, so a typo is noticed.
 * @param {unknown} input
 * @returns {Partial<Knobs>}
 */
function readKnobs(input) {
  /** @type {Record<string, number>} */
  const knobs = {};
  for (const [key, value] of Object.entries(input ?? {})) {
    if (!KNOB_NAMES.includes(key)) throw new Error(`unknown knob ${key}`);
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0) throw new Error(`knob ${key} must be a whole number >= 0`);
    knobs[key] = number;
  }
  if (knobs.failStatus !== undefined && (knobs.failStatus < 100 || knobs.failStatus > 599)) {
    throw new Error("knob failStatus must be an HTTP status");
  }
  return knobs;
}

/**
 * Who a delivery is about, from the forwarded body `{type, timestamp, data: {event, order}}`.
 * @param {string} body
 */
function describe(body) {
  try {
    const parsed = JSON.parse(body);
    const event = parsed?.data?.event ?? {};
    return {
      type: String(parsed?.type ?? "?"),
      eventId: String(event.id ?? "?"),
      orderNumber: String(event.order_number ?? event.resource_id ?? parsed?.data?.order?.omisell_order_number ?? "-"),
    };
  } catch {
    return { type: "(not JSON)", eventId: "?", orderNumber: "-" };
  }
}

/**
 * Starts the receiver; resolves once it is listening (or, with downForSeconds, once its port is
 * chosen: it starts listening when that time is up).
 * @param {{ port?: number, host?: string, secret?: string, failStatus?: number | string,
 *   failFirst?: number | string, downForSeconds?: number | string, toleranceSeconds?: number | string,
 *   log?: (line: string) => void }} [options]
 */
export async function startReceiver({
  port = 8789,
  host = "127.0.0.1",
  secret,
  failStatus = 500,
  failFirst = 0,
  downForSeconds = 0,
  toleranceSeconds = 300,
  log = console.log,
} = {}) {
  if (!secret) throw new Error("a secret is needed: --secret whsec_… or FORWARD_SECRET");
  const key = secretKey(secret);
  let knobs = /** @type {Knobs} */ (readKnobs({ failStatus, failFirst, downForSeconds, toleranceSeconds }));
  /** @type {Map<string, number>} webhook-id -> valid attempts so far */
  const attempts = new Map();
  /** @type {Record<string, unknown>[]} */
  let deliveries = [];
  /** @type {NodeJS.Timeout | undefined} */
  let upAgain;
  let closed = false;

  /** @param {import("node:http").IncomingMessage} req @param {import("node:http").ServerResponse} res */
  async function handle(req, res) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const path = new URL(req.url ?? "/", "http://receiver").pathname;
    const json = (/** @type {number} */ status, /** @type {unknown} */ value) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };

    if (path.startsWith("/__receiver/")) {
      if (path === "/__receiver/knobs" && req.method === "POST") {
        const next = readKnobs(body.length ? JSON.parse(body.toString("utf8")) : {});
        knobs = { ...knobs, ...next };
        json(200, knobs);
        if (next.downForSeconds) goDown(next.downForSeconds * 1000);
        return;
      }
      if (path === "/__receiver/knobs") return json(200, knobs);
      if (path === "/__receiver/deliveries") return json(200, deliveries);
      if (path === "/__receiver/reset" && req.method === "POST") {
        deliveries = [];
        attempts.clear();
        return json(200, { deliveries: 0 });
      }
      return json(404, { error: "no such control" });
    }
    if (req.method !== "POST") return json(405, { error: "method_not_allowed" });

    const headers = {
      id: req.headers["webhook-id"]?.toString() ?? null,
      timestamp: req.headers["webhook-timestamp"]?.toString() ?? null,
      signature: req.headers["webhook-signature"]?.toString() ?? null,
    };
    const problem = signatureProblem(key, headers, body, { toleranceSeconds: knobs.toleranceSeconds });
    const about = describe(body.toString("utf8"));
    let attempt = 0;
    let status = 401;
    if (!problem) {
      const id = /** @type {string} */ (headers.id);
      attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      status = attempt <= knobs.failFirst ? knobs.failStatus : 204;
    }
    const delivery = {
      ...about,
      webhookId: headers.id,
      attempt,
      status,
      valid: !problem,
      problem,
      body: body.toString("utf8"),
    };
    deliveries.push(delivery);
    log(
      `${new Date().toISOString()} ${String(status).padEnd(3)} ${about.type.padEnd(28)} event ${about.eventId.padEnd(28)} ` +
        `order ${about.orderNumber.padEnd(16)} webhook-id ${headers.id ?? "-"} attempt ${attempt || "-"}` +
        (problem ? `  (invalid: ${problem})` : ""),
    );
    if (status === 204) {
      res.writeHead(204);
      return res.end();
    }
    return json(status, problem ? { error: "invalid_signature", message: problem } : { error: "told_to_fail" });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "bad_request", message: String(err.message) }));
    });
  });
  const listen = (/** @type {number} */ listenPort) =>
    /** @type {Promise<number>} */ (
      new Promise((resolveListen, reject) => {
        server.once("error", reject);
        server.listen(listenPort, host, () => {
          server.off("error", reject);
          resolveListen(/** @type {import("node:net").AddressInfo} */ (server.address()).port);
        });
      })
    );
  const stopListening = () =>
    /** @type {Promise<void>} */ (
      new Promise((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      })
    );

  // Down = nobody listening on the port, so the sender sees the connection refused.
  /** @param {number} ms */
  function goDown(ms) {
    clearTimeout(upAgain);
    stopListening().then(() => {
      upAgain = setTimeout(() => {
        if (!closed) listen(boundPort).catch((err) => log(`receiver could not listen again: ${err.message}`));
      }, ms);
    });
  }

  const boundPort = await listen(port);
  if (knobs.downForSeconds > 0) goDown(knobs.downForSeconds * 1000);
  return {
    url: `http://${host}:${boundPort}`,
    port: boundPort,
    /** @param {Record<string, unknown>} next */
    setKnobs(next) {
      const read = readKnobs(next);
      knobs = { ...knobs, ...read };
      if (read.downForSeconds) goDown(read.downForSeconds * 1000);
      return { ...knobs };
    },
    deliveries: () => deliveries.map((d) => ({ ...d })),
    async close() {
      closed = true;
      clearTimeout(upAgain);
      if (server.listening) await stopListening();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: args } = parseArgs({
    options: {
      port: { type: "string", default: "8789" },
      secret: { type: "string" },
      "fail-status": { type: "string", default: "500" },
      "fail-first": { type: "string", default: "0" },
      "down-for": { type: "string", default: "0" },
      tolerance: { type: "string", default: "300" },
      help: { type: "boolean", default: false },
    },
  });
  if (args.help) {
    const { readFileSync } = await import("node:fs");
    const { fileURLToPath } = await import("node:url");
    console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("*/")[0]);
    process.exit(0);
  }
  const receiver = await startReceiver({
    port: Number(args.port),
    secret: args.secret ?? process.env.FORWARD_SECRET,
    failStatus: args["fail-status"],
    failFirst: args["fail-first"],
    downForSeconds: args["down-for"],
    toleranceSeconds: args.tolerance,
  });
  console.log(
    `receiver on ${receiver.url} (knobs: POST ${receiver.url}/__receiver/knobs)` +
      (Number(args["down-for"]) > 0 ? `, not listening for the first ${args["down-for"]} s` : ""),
  );
  const stop = () => receiver.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

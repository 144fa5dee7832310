/**
 * `npm run receiver -- --secret whsec_… [--port 8789] [--fail-status 500 --fail-first N] [--down-for S]`:
 * a local destination for omisell-push's forwarding (FORWARD_URL=http://127.0.0.1:8789/). Checks the
 * Standard Webhooks signature of every POST (any path) with --secret or FORWARD_SECRET, using the
 * `standardwebhooks` package as a destination would, prints one line per delivery (type, event id,
 * order number, webhook-id, attempt n of that webhook-id), and answers 204 when the signature is
 * valid, 401 when not.
 *
 * It can be told to fail, to watch the sender retry:
 *   --fail-status 500 --fail-first N   answer the first N valid attempts of each webhook-id with that status
 *   --down-for S                       not listening (connection refused) for the first S seconds
 *   --tolerance S                      accepted webhook-timestamp age, 1 to 300 (default 300, the most the
 *                                      package accepts)
 * and at run time: `POST /__receiver/knobs` with JSON {failStatus, failFirst, downForSeconds, toleranceSeconds}
 * (downForSeconds stops listening now for that long); `GET /__receiver/knobs`; `GET /__receiver/deliveries`
 * lists what arrived; `POST /__receiver/reset` forgets deliveries and attempt counts.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Webhook } from "standardwebhooks";

/** The widest webhook-timestamp window the `standardwebhooks` package accepts (it is fixed there). */
const PACKAGE_TOLERANCE_SECONDS = 300;

type Knobs = { failStatus: number; failFirst: number; downForSeconds: number; toleranceSeconds: number };
const KNOB_NAMES: readonly (keyof Knobs)[] = ["failStatus", "failFirst", "downForSeconds", "toleranceSeconds"];
const isKnobName = (name: string): name is keyof Knobs => (KNOB_NAMES as readonly string[]).includes(name);

/** Known knobs only, as whole numbers; anything else throws, so a typo is noticed. */
function readKnobs(input: object | null | undefined): Partial<Knobs> {
  const knobs: Partial<Knobs> = {};
  for (const [key, value] of Object.entries(input ?? {})) {
    if (!isKnobName(key)) throw new Error(`unknown knob ${key}`);
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0) throw new Error(`knob ${key} must be a whole number >= 0`);
    knobs[key] = number;
  }
  if (knobs.failStatus !== undefined && (knobs.failStatus < 100 || knobs.failStatus > 599)) {
    throw new Error("knob failStatus must be an HTTP status");
  }
  const tolerance = knobs.toleranceSeconds;
  if (tolerance !== undefined && (tolerance < 1 || tolerance > PACKAGE_TOLERANCE_SECONDS)) {
    throw new Error(
      `knob toleranceSeconds must be from 1 to ${PACKAGE_TOLERANCE_SECONDS} (the standardwebhooks window)`,
    );
  }
  return knobs;
}

/** The Standard Webhooks headers of a delivery, as received (null when missing). */
type SignatureHeaders = { id: string | null; timestamp: string | null; signature: string | null };

/**
 * Why a delivery fails the check, or null when it passes: the package's verdict (headers present,
 * timestamp within its 5 minutes, one `v1` signature matching), then the receiver's own tolerance.
 */
function signatureProblem(
  webhook: Webhook,
  headers: SignatureHeaders,
  body: Buffer,
  toleranceSeconds: number,
): string | null {
  try {
    webhook.verify(
      body,
      {
        "webhook-id": headers.id ?? "",
        "webhook-timestamp": headers.timestamp ?? "",
        "webhook-signature": headers.signature ?? "",
      },
      // The body is checked as bytes; whether it is JSON is for `describe` to say.
      { jsonParse: false },
    );
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  const age = Math.abs(Math.floor(Date.now() / 1000) - Number(headers.timestamp));
  return age > toleranceSeconds ? `webhook-timestamp more than ${toleranceSeconds} s from now` : null;
}

/** Who a delivery is about, from the forwarded body `{type, timestamp, data: {event, order}}`. */
function describe(body: string): { type: string; eventId: string; orderNumber: string } {
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

/** One delivery as the receiver saw it, listed by `GET /__receiver/deliveries`. */
export type Delivery = {
  type: string;
  eventId: string;
  orderNumber: string;
  webhookId: string | null;
  attempt: number;
  status: number;
  valid: boolean;
  problem: string | null;
  body: string;
};

export type ReceiverOptions = {
  port?: number;
  host?: string;
  secret?: string | undefined;
  failStatus?: number | string;
  failFirst?: number | string;
  downForSeconds?: number | string;
  toleranceSeconds?: number | string;
  log?: (line: string) => void;
};

export type Receiver = {
  url: string;
  port: number;
  setKnobs(next: Record<string, unknown>): Knobs;
  deliveries(): Delivery[];
  close(): Promise<void>;
};

/**
 * Starts the receiver; resolves once it is listening (or, with downForSeconds, once its port is
 * chosen: it starts listening when that time is up).
 */
export async function startReceiver({
  port = 8789,
  host = "127.0.0.1",
  secret,
  failStatus = 500,
  failFirst = 0,
  downForSeconds = 0,
  toleranceSeconds = PACKAGE_TOLERANCE_SECONDS,
  log = console.log,
}: ReceiverOptions = {}): Promise<Receiver> {
  if (!secret) throw new Error("a secret is needed: --secret whsec_… or FORWARD_SECRET");
  let webhook: Webhook;
  try {
    webhook = new Webhook(secret);
  } catch (err) {
    throw new Error(`the secret must be whsec_ followed by base64 (${err instanceof Error ? err.message : err})`);
  }
  let knobs = readKnobs({ failStatus, failFirst, downForSeconds, toleranceSeconds }) as Knobs;
  /** webhook-id -> valid attempts so far */
  const attempts = new Map<string, number>();
  let deliveries: Delivery[] = [];
  let upAgain: NodeJS.Timeout | undefined;
  let closed = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const path = new URL(req.url ?? "/", "http://receiver").pathname;
    const json = (status: number, value: unknown) => {
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

    const headers: SignatureHeaders = {
      id: req.headers["webhook-id"]?.toString() ?? null,
      timestamp: req.headers["webhook-timestamp"]?.toString() ?? null,
      signature: req.headers["webhook-signature"]?.toString() ?? null,
    };
    const problem = signatureProblem(webhook, headers, body, knobs.toleranceSeconds);
    const about = describe(body.toString("utf8"));
    let attempt = 0;
    let status = 401;
    if (!problem && headers.id) {
      attempt = (attempts.get(headers.id) ?? 0) + 1;
      attempts.set(headers.id, attempt);
      status = attempt <= knobs.failFirst ? knobs.failStatus : 204;
    }
    deliveries.push({
      ...about,
      webhookId: headers.id,
      attempt,
      status,
      valid: !problem,
      problem,
      body: body.toString("utf8"),
    });
    log(
      `${new Date().toISOString()} ${String(status).padEnd(3)} ${about.type.padEnd(28)} event ${about.eventId.padEnd(28)} ` +
        `order ${about.orderNumber.padEnd(16)} webhook-id ${headers.id ?? "-"} attempt ${attempt || "-"}` +
        (problem ? `  (invalid: ${problem})` : ""),
    );
    if (status === 204) {
      res.writeHead(204);
      res.end();
      return;
    }
    return json(status, problem ? { error: "invalid_signature", message: problem } : { error: "told_to_fail" });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "bad_request", message: err instanceof Error ? err.message : String(err) }));
    });
  });
  const listen = (listenPort: number) =>
    new Promise<number>((resolveListen, reject) => {
      server.once("error", reject);
      server.listen(listenPort, host, () => {
        server.off("error", reject);
        resolveListen((server.address() as AddressInfo).port);
      });
    });
  const stopListening = () =>
    new Promise<void>((resolveClose) => {
      server.closeAllConnections();
      server.close(() => resolveClose());
    });

  // Down = nobody listening on the port, so the sender sees the connection refused.
  function goDown(ms: number): void {
    clearTimeout(upAgain);
    stopListening().then(() => {
      upAgain = setTimeout(() => {
        if (!closed) listen(boundPort).catch((err: Error) => log(`receiver could not listen again: ${err.message}`));
      }, ms);
    });
  }

  const boundPort = await listen(port);
  if (knobs.downForSeconds > 0) goDown(knobs.downForSeconds * 1000);
  return {
    url: `http://${host}:${boundPort}`,
    port: boundPort,
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
      tolerance: { type: "string", default: String(PACKAGE_TOLERANCE_SECONDS) },
      help: { type: "boolean", default: false },
    },
  });
  if (args.help) {
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

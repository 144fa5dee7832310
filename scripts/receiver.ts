/**
 * `npm run receiver -- --secret whsec_… [--port 8789 …] [--fail-status 500 --fail-first N] [--down-for S]`:
 * local destinations for omisell-push (FORWARD_URL=http://127.0.0.1:8789/, or destinations made with
 * POST /api/destinations). Each receiver checks the Standard Webhooks signature of every POST (any
 * path) with its secret (--secret, else FORWARD_SECRET), using the `standardwebhooks` package as a
 * destination would, prints one line per delivery (type, event id, order number, webhook-id,
 * attempt n of that webhook-id), and answers 204 when the signature is valid, 401 when not.
 *
 * Several at once: repeat --port; a knob (or --secret) suffixed with @<port> applies to that
 * receiver only, e.g. `--port 9001 --port 9002 --fail-status 500@9002 --fail-first 99@9002`;
 * or `--spec receivers.json` with [{port, secret, failStatus, failFirst, downForSeconds, delayMs, slack}].
 *
 * Knobs, to watch the sender retry:
 *   --fail-status 500 --fail-first N   answer the first N valid attempts of each webhook-id with that status
 *   --down-for S                       not listening (connection refused) for the first S seconds
 *   --delay-ms MS                      answer each request that much later (past FORWARD_TIMEOUT_MS: a timeout)
 *   --tolerance S                      accepted webhook-timestamp age, 1 to 300 (default 300, the most the
 *                                      package accepts)
 * Alerts: `--slack` makes the receivers Slack-style alert endpoints (ALERT_URL with ALERT_FORMAT=slack):
 * no signature, each `{"text": …}` printed as `ALERT <text>`; `--slack-port P` adds one beside the others.
 * At run time: `POST /__receiver/knobs` with JSON {failStatus, failFirst, downForSeconds, delayMs,
 * toleranceSeconds} (downForSeconds stops listening now for that long); `GET /__receiver/knobs`;
 * `GET /__receiver/deliveries` lists what arrived; `POST /__receiver/reset` forgets deliveries and counts.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Webhook } from "standardwebhooks";

/** The widest webhook-timestamp window the `standardwebhooks` package accepts (it is fixed there). */
const PACKAGE_TOLERANCE_SECONDS = 300;

type Knobs = {
  failStatus: number;
  failFirst: number;
  downForSeconds: number;
  delayMs: number;
  toleranceSeconds: number;
};
const KNOB_NAMES: readonly (keyof Knobs)[] = [
  "failStatus",
  "failFirst",
  "downForSeconds",
  "delayMs",
  "toleranceSeconds",
];
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

/**
 * Who a delivery is about: from the envelope `{type, timestamp, data: {event, order}}`, or from
 * Omisell's own push body (a `raw` destination: `{event, data: {omisell_order_number}}`).
 */
function describe(body: string): { type: string; eventId: string; orderNumber: string } {
  try {
    const parsed = JSON.parse(body);
    const event = parsed?.data?.event ?? {};
    return {
      type: String(parsed?.type ?? parsed?.event ?? "?"),
      eventId: String(event.id ?? "?"),
      orderNumber: String(
        event.order_number ??
          event.resource_id ??
          parsed?.data?.order?.omisell_order_number ??
          parsed?.data?.omisell_order_number ??
          "-",
      ),
    };
  } catch {
    return { type: "(not JSON)", eventId: "?", orderNumber: "-" };
  }
}

/** What a Slack-style alert is recorded as (it is about no event). */
const ALERT = { type: "alert", eventId: "-", orderNumber: "-" };

/** The text of a Slack-style alert body, or the body itself when it has none. */
function alertText(body: string): string {
  try {
    const text = JSON.parse(body)?.text;
    return typeof text === "string" ? text : body;
  } catch {
    return body;
  }
}

/** One delivery as the receiver saw it (`receivedAt`: ms), listed by `GET /__receiver/deliveries`. */
export type Delivery = {
  receivedAt: number;
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
  delayMs?: number | string;
  toleranceSeconds?: number | string;
  /** A Slack-style alert endpoint: no signature, every `{"text"}` printed and answered 200. */
  slack?: boolean;
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
  delayMs = 0,
  toleranceSeconds = PACKAGE_TOLERANCE_SECONDS,
  slack = false,
  log = console.log,
}: ReceiverOptions = {}): Promise<Receiver> {
  let webhook: Webhook | null = null;
  if (!slack) {
    if (!secret) throw new Error("a secret is needed: --secret whsec_… or FORWARD_SECRET (or --slack for alerts)");
    try {
      webhook = new Webhook(secret);
    } catch (err) {
      throw new Error(`the secret must be whsec_ followed by base64 (${err instanceof Error ? err.message : err})`);
    }
  }
  let knobs = readKnobs({ failStatus, failFirst, downForSeconds, delayMs, toleranceSeconds }) as Knobs;
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
    const receivedAt = Date.now();
    if (knobs.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, knobs.delayMs));
    if (!webhook) {
      const text = alertText(body.toString("utf8"));
      deliveries.push({
        receivedAt,
        ...ALERT,
        webhookId: null,
        attempt: 1,
        status: 200,
        valid: true,
        problem: null,
        body: body.toString("utf8"),
      });
      log(`${new Date(receivedAt).toISOString()} ALERT ${text}`);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
      return;
    }

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
      receivedAt,
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

/** One receiver of a run: its port and options (knobs, secret, Slack style). */
export type ReceiverSpec = Omit<ReceiverOptions, "log" | "host"> & { port: number };

const PORT_SUFFIX = /^(.*)@(\d+)$/;

/**
 * The receivers the flags ask for: one per --port (and per --slack-port, Slack-style); a knob or
 * --secret given as `<value>@<port>` applies to that port only, plain to every receiver.
 * @example receiverSpecs({ port: ["9001", "9002"], "fail-status": ["500@9002"], secret: ["whsec_…"] })
 */
export function receiverSpecs(
  flags: Record<string, string | string[] | boolean | undefined>,
  fallbackSecret?: string,
): ReceiverSpec[] {
  const list = (name: string) => (Array.isArray(flags[name]) ? (flags[name] as string[]) : []);
  const ports = list("port").map(Number);
  const slackPorts = list("slack-port").map(Number);
  for (const port of [...ports, ...slackPorts]) {
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`not a port: ${port}`);
  }
  const forPort = (name: string, port: number): string | undefined => {
    let value: string | undefined;
    for (const given of list(name)) {
      const match = PORT_SUFFIX.exec(given);
      if (!match) value ??= given;
      else if (Number(match[2]) === port) return match[1];
    }
    return value;
  };
  const spec = (port: number, slack: boolean): ReceiverSpec => ({
    port,
    slack,
    secret: forPort("secret", port) ?? fallbackSecret,
    failStatus: forPort("fail-status", port) ?? "500",
    failFirst: forPort("fail-first", port) ?? "0",
    downForSeconds: forPort("down-for", port) ?? "0",
    delayMs: forPort("delay-ms", port) ?? "0",
    toleranceSeconds: forPort("tolerance", port) ?? String(PACKAGE_TOLERANCE_SECONDS),
  });
  const specs = [...(ports.length ? ports : [8789]).map((port) => spec(port, flags.slack === true))];
  return [...specs, ...slackPorts.map((port) => spec(port, true))];
}

/** Starts every receiver of `specs`; if one cannot start, those started are closed and the error thrown. */
export async function startReceivers(specs: ReceiverSpec[], log: (line: string) => void = console.log) {
  const started: Receiver[] = [];
  try {
    for (const spec of specs)
      started.push(await startReceiver({ ...spec, log: (line) => log(`[${spec.port}] ${line}`) }));
  } catch (err) {
    await Promise.all(started.map((receiver) => receiver.close()));
    throw err;
  }
  return started;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: args } = parseArgs({
    options: {
      port: { type: "string", multiple: true },
      "slack-port": { type: "string", multiple: true },
      secret: { type: "string", multiple: true },
      "fail-status": { type: "string", multiple: true },
      "fail-first": { type: "string", multiple: true },
      "down-for": { type: "string", multiple: true },
      "delay-ms": { type: "string", multiple: true },
      tolerance: { type: "string", multiple: true },
      slack: { type: "boolean", default: false },
      spec: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (args.help) {
    console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("*/")[0]);
    process.exit(0);
  }
  const specs: ReceiverSpec[] = args.spec
    ? (JSON.parse(readFileSync(args.spec, "utf8")) as ReceiverSpec[]).map((spec) => ({
        ...spec,
        secret: spec.secret ?? process.env.FORWARD_SECRET,
      }))
    : receiverSpecs(args, process.env.FORWARD_SECRET);
  const receivers = await startReceivers(specs);
  for (const [i, receiver] of receivers.entries()) {
    const spec = specs[i];
    const mode = spec?.slack ? "Slack-style alerts" : "deliveries";
    const down = Number(spec?.downForSeconds ?? 0) > 0 ? `, not listening for the first ${spec?.downForSeconds} s` : "";
    console.log(`receiver on ${receiver.url} (${mode}; knobs: POST ${receiver.url}/__receiver/knobs)${down}`);
  }
  const stop = () => Promise.all(receivers.map((receiver) => receiver.close())).then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/**
 * `npm run simulate -- --url <callback url> --secret <secret>`: plays Omisell against a running
 * omisell-push. Sends every sample push (the 18 published events and the names seen in production),
 * signed like Omisell, their duplicates, a burst of concurrent copies of one push, Omisell's retry
 * pattern (2 min, 30 min, 3 h; time-compressed), a console URL check and a wrongly signed push;
 * prints one line per push.
 *
 * Options: --url (default http://localhost:8787/webhooks/omisell), --secret (default dev-push-secret),
 * --scheme hmac|static (hmac: hex HMAC-SHA256 of `url|body`; static: the secret itself in Authorization),
 * --sign-url (URL in the signature, if not --url), --burst N (20), --time-scale F (0.0005),
 * --fixed-ids (send the samples' own request ids instead of fresh ones),
 * --only phase,… (sample, duplicate, burst, retry, verify, forged, drop; default all but drop),
 * --drop F (e.g. 0.2; adds the drop phase): changes --changes N (20) orders in the Omisell stand-in
 *   (--standin, default http://127.0.0.1:8788; POST /__standin/orders with a new updated_time) and
 *   pushes only a share 1 − F of those changes, so that `npm run reconcile` has pushes to find.
 *
 * `--sale-day [--minutes N]` instead plays a compressed sale day against `npm start` (README "Sale day"):
 * --known (300) orders made known first change status 3 times each in bulk actions of --bulk (300),
 * --new (100) orders arrive with order.created and one change, each change told to the stand-in
 * before it is pushed, while the stand-in's other tool spends --other-tool (0.2) of its bucket
 * (--rate, 100/60: set it to the worker's OMISELL_RATE_LIMIT); then prints freshness p50/p95/p99
 * from /api/stats (--token, default dev-read-token) and Omisell calls per order change.
 */
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { signPush } from "./lib/push-signature.ts";

const PHASES = ["sample", "duplicate", "burst", "retry", "verify", "forged", "drop"];
const { values: args } = parseArgs({
  options: {
    url: { type: "string", default: "http://localhost:8787/webhooks/omisell" },
    secret: { type: "string", default: "dev-push-secret" },
    scheme: { type: "string", default: "hmac" },
    "sign-url": { type: "string" },
    burst: { type: "string", default: "20" },
    "time-scale": { type: "string", default: "0.0005" },
    "fixed-ids": { type: "boolean", default: false },
    only: { type: "string" },
    drop: { type: "string" },
    changes: { type: "string", default: "20" },
    standin: { type: "string", default: "http://127.0.0.1:8788" },
    "sale-day": { type: "boolean", default: false },
    minutes: { type: "string", default: "6" },
    known: { type: "string", default: "300" },
    new: { type: "string", default: "100" },
    bulk: { type: "string", default: "300" },
    rate: { type: "string", default: "100/60" },
    "other-tool": { type: "string", default: "0.2" },
    token: { type: "string", default: "dev-read-token" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("*/")[0]);
  process.exit(0);
}
function fail(message: string): never {
  console.error(message);
  process.exit(2);
}
if (args["sale-day"]) {
  const whole = (name: "known" | "new" | "bulk") => {
    const value = Number(args[name]);
    if (!Number.isInteger(value) || value < (name === "bulk" ? 1 : 0)) fail(`--${name} must be a whole number`);
    return value;
  };
  const minutes = Number(args.minutes);
  if (!(minutes > 0)) fail("--minutes must be a number of minutes above 0, e.g. 6");
  const otherTool = Number(args["other-tool"]);
  if (!(otherTool >= 0 && otherTool < 1)) fail("--other-tool must be a share from 0 to below 1, e.g. 0.2");
  if (!/^\d+\/\d+$/.test(args.rate)) fail('--rate must be "<calls>/<seconds>", e.g. 100/60');
  const { simulateSaleDay } = await import("./lib/sale-day-simulate.ts");
  const good = await simulateSaleDay(
    {
      workerUrl: new URL(args.url).origin,
      secret: args.secret,
      standinUrl: args.standin,
      token: args.token,
      minutes,
      known: whole("known"),
      fresh: whole("new"),
      bulk: whole("bulk"),
      rate: args.rate,
      otherTool,
    },
    (line) => console.log(line),
  ).catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
  process.exit(good ? 0 : 1);
}
if (!["hmac", "static"].includes(args.scheme)) fail(`--scheme must be hmac or static, not ${args.scheme}`);
const dropShare = args.drop === undefined ? null : Number(args.drop);
if (dropShare !== null && !(dropShare >= 0 && dropShare <= 1)) fail("--drop must be a share from 0 to 1, e.g. 0.2");
const changes = Number(args.changes);
if (!Number.isInteger(changes) || changes < 1) fail("--changes must be a whole number >= 1");
const phases = new Set(args.only ? args.only.split(",") : PHASES.filter((p) => p !== "drop" || dropShare !== null));
for (const phase of phases) if (!PHASES.includes(phase)) fail(`unknown phase ${phase} (phases: ${PHASES.join(", ")})`);
if (phases.has("drop") && dropShare === null) fail("the drop phase needs --drop <share>");

const url = args.url;
const signUrl = args["sign-url"] ?? url;
const runId = randomUUID().slice(0, 8);
const pushDir = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures", "pushes");
/** A sample push as the fixtures hold it (the fields this script reads; the rest is sent as is). */
type SamplePush = { request_id: string; event: string; [field: string]: unknown };
const readPushes = (dir: string): SamplePush[] =>
  readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")));
// The published catalogue first (the burst and retry phases pick from it), then the names seen in production.
const samples = [...readPushes(pushDir), ...readPushes(join(pushDir, "observed"))];

/** The sample the burst, retry and forged phases pick, by its place in the catalogue. */
function sample(index: number): SamplePush {
  const push = samples[index];
  if (!push) fail(`test/fixtures/pushes holds fewer than ${index + 1} sample pushes`);
  return push;
}

const sign = (body: string, secret = args.secret) =>
  args.scheme === "static" ? secret : signPush(secret, signUrl, body);
const withFreshId = (push: SamplePush, tag?: string): SamplePush =>
  args["fixed-ids"] ? push : { ...push, request_id: `${push.request_id}-${runId}${tag ?? ""}` };

/** What a failed fetch says: the network error's code (ECONNREFUSED, …) or its message. */
function failureCode(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: string } | undefined) : undefined;
  return String(cause?.code ?? (err instanceof Error ? err.message : err));
}

/** One push sent and what came back (status "ERR": no answer). */
type SendResult = {
  phase: string;
  label: string;
  status: number | "ERR";
  pushStatus: string;
  eventId: string;
  ms: number;
};

const results: SendResult[] = [];
async function send(
  phase: string,
  body: string,
  { label, authorization }: { label: string; authorization?: string },
): Promise<SendResult> {
  const started = performance.now();
  let line: SendResult;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: authorization ?? sign(body) },
      body,
    });
    const text = await res.text();
    line = {
      phase,
      label,
      status: res.status,
      pushStatus: res.headers.get("push-status") ?? "-",
      eventId: res.headers.get("push-event-id") ?? (text ? text.slice(0, 60) : "-"),
      ms: performance.now() - started,
    };
  } catch (err) {
    line = {
      phase,
      label,
      status: "ERR",
      pushStatus: "-",
      eventId: failureCode(err),
      ms: performance.now() - started,
    };
  }
  results.push(line);
  console.log(
    `${line.phase.padEnd(10)} ${String(line.label).padEnd(50)} ${String(line.status).padEnd(4)} ${line.pushStatus.padEnd(10)} ${line.eventId.padEnd(28)} ${line.ms.toFixed(1).padStart(7)} ms`,
  );
  return line;
}

const short = (push: SamplePush) => `${push.event} ${String(push.request_id).slice(0, 18)}`;
console.log(`omisell-push simulate → ${url} (run ${runId}, ${args.scheme} signature)`);
console.log(
  `${"phase".padEnd(10)} ${"push".padEnd(50)} ${"HTTP".padEnd(4)} ${"Push-Status".padEnd(10)} ${"event id".padEnd(28)} latency`,
);

// 1. Every sample push, once. 2. The same bytes again: Omisell's duplicates.
const firsts = samples.map((push) => withFreshId(push));
if (phases.has("sample")) for (const push of firsts) await send("sample", JSON.stringify(push), { label: short(push) });
if (phases.has("duplicate")) {
  for (const push of firsts) await send("duplicate", JSON.stringify(push), { label: short(push) });
}

// 3. A burst of concurrent copies of one new push.
if (phases.has("burst")) {
  const burstPush = withFreshId(sample(3), "-burst");
  const burstBody = JSON.stringify(burstPush);
  await Promise.all(
    Array.from({ length: Number(args.burst) }, (_, i) =>
      send("burst", burstBody, { label: `${short(burstPush)} #${i + 1}` }),
    ),
  );
}

// 4. Omisell's retry pattern: first try, then 2 min, 30 min and 3 h later (time-compressed).
if (phases.has("retry")) {
  const scale = Number(args["time-scale"]);
  const retryPush = withFreshId(sample(4), "-retry");
  const retryBody = JSON.stringify(retryPush);
  let elapsed = 0;
  for (const [i, at] of [0, 120, 1800, 10_800].entries()) {
    const waitMs = (at - elapsed) * 1000 * scale;
    elapsed = at;
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    await send("retry", retryBody, { label: `${short(retryPush)} try ${i + 1} (+${at}s)` });
  }
}

// 5. The console's URL check, and a push signed with the wrong secret.
if (phases.has("verify")) await send("verify", "", { label: "empty body (console URL check)", authorization: "" });
if (phases.has("forged")) {
  const forged = JSON.stringify(withFreshId(sample(0), "-forged"));
  await send("forged", forged, {
    label: `order.all signed with a wrong secret`,
    authorization: sign(forged, "not-the-secret"),
  });
}

// 6. Order changes in the stand-in, only some of them pushed: the lost pushes reconciliation finds.
let dropped: string[] = [];
if (phases.has("drop")) {
  const steps: [string, string][] = [
    ["order.processing", "Processing"],
    ["order.ready_to_ship", "Ready To Ship"],
    ["order.shipped", "Shipped"],
    ["order.completed", "Completed"],
    ["order.cancelled", "Cancelled"],
  ];
  const dropCount = Math.round(changes * (dropShare ?? 0));
  const order = Array.from({ length: changes }, (_, i) => i).sort(() => Math.random() - 0.5);
  const droppedIndexes = new Set(order.slice(0, dropCount));
  for (let i = 0; i < changes; i++) {
    const [event, statusName] = steps[i % steps.length] as [string, string];
    const number = `OMSIM${runId}${String(i).padStart(3, "0")}`;
    const updatedTime = Math.floor(Date.now() / 1000);
    const made = await fetch(`${args.standin}/__standin/orders`, {
      method: "POST",
      body: JSON.stringify({ omisell_order_number: number, status_name: statusName, updated_time: updatedTime }),
    }).catch((err: unknown) => ({ ok: false, status: failureCode(err) }));
    if (!made.ok)
      fail(`the stand-in at ${args.standin} did not take the order change (${made.status}); check --standin`);
    if (droppedIndexes.has(i)) {
      dropped.push(number);
      console.log(`${"drop".padEnd(10)} ${`${event} ${number}`.padEnd(50)} changed in the stand-in, push not sent`);
      continue;
    }
    const push = {
      request_id: `sim-${runId}-${i}`,
      event,
      seller_id: 1001,
      timestamp: updatedTime,
      data: { omisell_order_number: number, order_number: `SO-${number}`, status_name: statusName },
    };
    await send("drop", JSON.stringify(push), { label: `${event} ${number}` });
  }
  dropped = dropped.sort();
}

const count = (predicate: (r: SendResult) => boolean) => results.filter(predicate).length;
const isError = (r: SendResult) =>
  r.status === "ERR" || (typeof r.status === "number" && r.status >= 500 && r.status !== 503);
console.log(
  `\n${results.length} pushes: ${count((r) => r.pushStatus === "accepted")} accepted, ${count((r) => r.pushStatus === "duplicate")} duplicate, ` +
    `${count((r) => r.pushStatus === "ignored")} ignored, ${count((r) => r.status === 409 || r.status === 503)} asked to retry, ` +
    `${count((r) => r.status === 401)} rejected, ${count(isError)} errors; ` +
    `max latency ${results.length ? Math.max(...results.map((r) => r.ms)).toFixed(1) : "-"} ms`,
);
if (phases.has("drop")) {
  console.log(
    `changed ${changes} orders in the stand-in, pushed ${changes - dropped.length}, dropped ${dropped.length}` +
      (dropped.length ? `: ${dropped.join(" ")}\nrun \`npm run reconcile\` to have the worker find them` : ""),
  );
}
// A signed push that is not a 200 means a wrong --secret, --scheme or --url, or a fault.
const unanswered = count((r) => ["sample", "duplicate", "drop"].includes(r.phase) && r.status !== 200);
if (unanswered > 0)
  console.error(`${unanswered} signed pushes were not answered 200 (check --url, --secret and --scheme)`);
process.exit(count(isError) > 0 || unanswered > 0 ? 1 : 0);

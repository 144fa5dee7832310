/**
 * `npm run simulate -- --url <callback url> --secret <secret>`: plays Omisell against a running
 * omisell-push. Sends every sample push (signed like Omisell), their duplicates, a burst of
 * concurrent copies of one push, Omisell's retry pattern (2 min, 30 min, 3 h; time-compressed),
 * a console URL check and a wrongly signed push; prints one line per push.
 *
 * Options: --url (default http://localhost:8787/webhooks/omisell), --secret (default dev-push-secret),
 * --sign-url (URL in the signature, if not --url), --burst N (20), --time-scale F (0.0005),
 * --fixed-ids (send the samples' own request ids instead of fresh ones).
 */
import { createHmac, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    url: { type: "string", default: "http://localhost:8787/webhooks/omisell" },
    secret: { type: "string", default: "dev-push-secret" },
    "sign-url": { type: "string" },
    burst: { type: "string", default: "20" },
    "time-scale": { type: "string", default: "0.0005" },
    "fixed-ids": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("*/")[0]);
  process.exit(0);
}

const url = args.url;
const signUrl = args["sign-url"] ?? url;
const runId = randomUUID().slice(0, 8);
const pushDir = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures", "pushes");
const samples = readdirSync(pushDir)
  .filter((name) => name.endsWith(".json"))
  .sort()
  .map((name) => JSON.parse(readFileSync(join(pushDir, name), "utf8")));

const sign = (body, secret = args.secret) =>
  createHmac("sha256", secret).update(`${signUrl}|`).update(body).digest("hex");
const withFreshId = (push, tag) =>
  args["fixed-ids"] ? push : { ...push, request_id: `${push.request_id}-${runId}${tag ?? ""}` };

const results = [];
async function send(phase, body, { label, authorization } = {}) {
  const started = performance.now();
  let line;
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
      eventId: String(err.cause?.code ?? err.message),
      ms: performance.now() - started,
    };
  }
  results.push(line);
  console.log(
    `${line.phase.padEnd(10)} ${String(line.label).padEnd(50)} ${String(line.status).padEnd(4)} ${line.pushStatus.padEnd(10)} ${line.eventId.padEnd(28)} ${line.ms.toFixed(1).padStart(7)} ms`,
  );
  return line;
}

const short = (push) => `${push.event} ${String(push.request_id).slice(0, 18)}`;
console.log(`omisell-push simulate → ${url} (run ${runId})`);
console.log(
  `${"phase".padEnd(10)} ${"push".padEnd(50)} ${"HTTP".padEnd(4)} ${"Push-Status".padEnd(10)} ${"event id".padEnd(28)} latency`,
);

// 1. Every sample push, once.
const firsts = samples.map((push) => withFreshId(push));
for (const push of firsts) await send("sample", JSON.stringify(push), { label: short(push) });

// 2. The same bytes again: Omisell's duplicates.
for (const push of firsts) await send("duplicate", JSON.stringify(push), { label: short(push) });

// 3. A burst of concurrent copies of one new push.
const burstPush = withFreshId(samples[3], "-burst");
const burstBody = JSON.stringify(burstPush);
await Promise.all(
  Array.from({ length: Number(args.burst) }, (_, i) =>
    send("burst", burstBody, { label: `${short(burstPush)} #${i + 1}` }),
  ),
);

// 4. Omisell's retry pattern: first try, then 2 min, 30 min and 3 h later (time-compressed).
const scale = Number(args["time-scale"]);
const retryPush = withFreshId(samples[4], "-retry");
const retryBody = JSON.stringify(retryPush);
let elapsed = 0;
for (const [i, at] of [0, 120, 1800, 10_800].entries()) {
  const waitMs = (at - elapsed) * 1000 * scale;
  elapsed = at;
  if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
  await send("retry", retryBody, { label: `${short(retryPush)} try ${i + 1} (+${at}s)` });
}

// 5. The console's URL check, and a push signed with the wrong secret.
await send("verify", "", { label: "empty body (console URL check)", authorization: "" });
const forged = JSON.stringify(withFreshId(samples[0], "-forged"));
await send("forged", forged, {
  label: "order.all signed with a wrong secret",
  authorization: sign(forged, "not-the-secret"),
});

const count = (predicate) => results.filter(predicate).length;
const isError = (r) => r.status === "ERR" || (typeof r.status === "number" && r.status >= 500 && r.status !== 503);
console.log(
  `\n${results.length} pushes: ${count((r) => r.pushStatus === "accepted")} accepted, ${count((r) => r.pushStatus === "duplicate")} duplicate, ` +
    `${count((r) => r.pushStatus === "ignored")} ignored, ${count((r) => r.status === 409 || r.status === 503)} asked to retry, ` +
    `${count((r) => r.status === 401)} rejected, ${count(isError)} errors; ` +
    `max latency ${Math.max(...results.map((r) => r.ms)).toFixed(1)} ms`,
);
// A signed sample or duplicate that is not a 200 means a wrong --secret or --url, or a fault.
const unanswered = count((r) => (r.phase === "sample" || r.phase === "duplicate") && r.status !== 200);
if (unanswered > 0)
  console.error(`${unanswered} signed sample pushes were not answered 200 (check --url and --secret)`);
process.exit(count(isError) > 0 || unanswered > 0 ? 1 : 0);

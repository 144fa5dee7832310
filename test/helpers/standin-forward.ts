/**
 * The forwarding destination of the workers tests, served at `https://forward.test` through the
 * workers project's `outboundService` (vitest.config.ts). It runs in node, beside vitest; tests
 * script and read it over fetch with test/helpers/forward.ts.
 */

/** The host the forwarding tests point FORWARD_URL at. */
export const FORWARD_HOST = "forward.test";

/** One scripted answer: its status, optionally held back `delayMs`, with a `location` header. */
export type ScriptedAnswer = { status: number; delayMs?: number; location?: string };

/** A request the destination received (`at`: when, ms), as `GET /__calls/<scenario>` returns it. */
export type RecordedCall = { url: string; method: string; headers: Record<string, string>; body: string; at: number };

const scripts = new Map<string, ScriptedAnswer[]>();
const calls = new Map<string, RecordedCall[]>();

/**
 * Answers a request to forward.test. `/hook/<scenario>` records the request and gives the
 * scenario's scripted answers in turn (the last one repeats; 200 when there is no script).
 *
 * @example
 * POST https://forward.test/__script/s1   [{"status":500},{"status":200}]   (sets the script)
 * POST https://forward.test/hook/s1       → 500, then 200, 200, …
 * GET  https://forward.test/__calls/s1    → the recorded requests
 */
export async function forwardStandIn(request: Request): Promise<Response> {
  const [, kind, scenario = ""] = new URL(request.url).pathname.split("/");
  if (kind === "__script") {
    scripts.set(scenario, (await request.json()) as ScriptedAnswer[]);
    return new Response(null, { status: 204 });
  }
  if (kind === "__calls") return Response.json(calls.get(scenario) ?? []);
  const recorded = calls.get(scenario) ?? [];
  const at = Date.now();
  recorded.push({
    at,
    url: request.url,
    method: request.method,
    headers: Object.fromEntries(request.headers),
    body: await request.text(),
  });
  calls.set(scenario, recorded);
  const script = scripts.get(scenario) ?? [];
  const answer = script[Math.min(recorded.length, script.length) - 1] ?? { status: 200 };
  if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
  const headers = answer.location ? { location: answer.location } : undefined;
  return new Response(answer.status === 204 ? null : `answer ${answer.status}`, { status: answer.status, headers });
}

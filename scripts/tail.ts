/**
 * `npm run tail -- --url <worker> --token <read token>`: the smallest real consumer of the change
 * feed. Polls `GET /api/feed?after=<seq>&limit=100`, prints each change (seq, event id, event,
 * status, order number), keeps `next_after` so it never sees a change twice nor skips one, and
 * stops on Ctrl-C. A full page is followed at once; otherwise it waits --interval seconds (2).
 * Options: --after <seq> to start from (0), --state <file> to keep the position across runs
 * (read at start, written after every page), --limit (100), --once (stop when caught up).
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { workerBase } from "./lib/worker-url.ts";

/** A change of the feed (the fields this script reads). */
export type Change = {
  seq: number;
  id: string;
  event: string | null;
  category?: string;
  status: string;
  order_number?: string | null;
  resource_id?: string | null;
};

/** Wide enough for the longest event name Omisell sends (shipment.failed_delivery_attempt). */
const EVENT_WIDTH = 32;

/** One line for a change of the feed. */
export function formatChange(change: Change): string {
  const order = change.order_number ?? change.resource_id ?? "-";
  // An invalid push has no event name: show its category instead of "null".
  const event = change.event ?? `(${change.category ?? "no event name"})`;
  return `${String(change.seq).padStart(8)}  ${String(change.id).padEnd(28)} ${event.padEnd(EVENT_WIDTH)} ${String(change.status).padEnd(10)} ${order}`;
}

/** One page of the feed after `after`. */
export async function fetchFeedPage({
  url,
  token,
  after,
  limit = 100,
}: {
  url: string;
  token: string;
  after: number | string;
  limit?: number;
}): Promise<{ changes: Change[]; nextAfter: number | string }> {
  const res = await fetch(`${workerBase(url)}/api/feed?after=${encodeURIComponent(after)}&limit=${limit}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET /api/feed answered ${res.status}: ${text.slice(0, 200)}`);
  const body = JSON.parse(text);
  if (!Array.isArray(body?.changes)) throw new Error("GET /api/feed answered without a changes list");
  // next_after is the position to keep; the last change's seq if an older server leaves it out.
  const nextAfter = body.next_after ?? body.changes.at(-1)?.seq ?? after;
  return { changes: body.changes, nextAfter };
}

function readState(file: string): number | null {
  try {
    const after = JSON.parse(readFileSync(file, "utf8")).after;
    return after ?? null;
  } catch (err) {
    const problem = err as NodeJS.ErrnoException;
    if (problem.code === "ENOENT") return null;
    throw new Error(`cannot read --state ${file}: ${problem.message}`);
  }
}

function writeState(file: string, after: number | string): void {
  // Written whole then renamed, so a Ctrl-C mid-write never leaves a broken position behind.
  writeFileSync(`${file}.tmp`, `${JSON.stringify({ after })}\n`);
  renameSync(`${file}.tmp`, file);
}

export type TailOptions = {
  url: string;
  token: string;
  after?: number | string;
  limit?: number;
  intervalMs?: number;
  stateFile?: string | undefined;
  once?: boolean;
  signal?: AbortSignal;
  onChange?: (change: Change) => void;
  log?: (line: string) => void;
};

/** Follows the feed until `signal` aborts (or, with `once`, until caught up); returns the position. */
export async function tailFeed({
  url,
  token,
  after = 0,
  limit = 100,
  intervalMs = 2000,
  stateFile,
  once = false,
  signal,
  onChange = (change) => console.log(formatChange(change)),
  log = console.error,
}: TailOptions): Promise<number | string> {
  let position: number | string = stateFile ? (readState(stateFile) ?? after) : after;
  const sleep = (ms: number) =>
    new Promise<void>((resolveSleep) => {
      const wake = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", wake);
        resolveSleep();
      };
      const timer = setTimeout(wake, ms);
      signal?.addEventListener("abort", wake);
    });
  while (!signal?.aborted) {
    let page: Awaited<ReturnType<typeof fetchFeedPage>>;
    try {
      page = await fetchFeedPage({ url, token, after: position, limit });
    } catch (err) {
      // A worker restarting or a network blip: say so and keep polling from the same position.
      if (once) throw err;
      log(`feed: ${err instanceof Error ? err.message : String(err)}; retrying in ${intervalMs / 1000} s`);
      await sleep(intervalMs);
      continue;
    }
    for (const change of page.changes) onChange(change);
    position = page.nextAfter;
    if (stateFile) writeState(stateFile, position);
    if (page.changes.length >= limit) continue;
    if (once) break;
    await sleep(intervalMs);
  }
  return position;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: args } = parseArgs({
    options: {
      url: { type: "string", default: "http://localhost:8787" },
      token: { type: "string", default: "dev-read-token" },
      after: { type: "string", default: "0" },
      interval: { type: "string", default: "2" },
      limit: { type: "string", default: "100" },
      state: { type: "string" },
      once: { type: "boolean", default: false },
    },
  });
  if (!/^\d+$/.test(args.after)) {
    console.error(`--after must be a seq (a whole number >= 0), not ${args.after}`);
    process.exit(2);
  }
  const controller = new AbortController();
  process.on("SIGINT", () => controller.abort());
  process.on("SIGTERM", () => controller.abort());
  console.log(
    `${"seq".padStart(8)}  ${"event id".padEnd(28)} ${"event".padEnd(EVENT_WIDTH)} ${"status".padEnd(10)} order`,
  );
  try {
    const position = await tailFeed({
      url: args.url,
      token: args.token,
      after: Number(args.after),
      limit: Number(args.limit),
      intervalMs: Number(args.interval) * 1000,
      stateFile: args.state,
      once: args.once,
      signal: controller.signal,
    });
    console.error(`stopped at seq ${position}${args.state ? ` (kept in ${args.state})` : ""}`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}

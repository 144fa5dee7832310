/**
 * What `npm start` shows of wrangler's output: the requests, the worker's warnings and errors, and
 * wrangler's own errors; not the tables it repeats (migrations, bindings), its banner, or the
 * `Request.cf` warning with its `getaddrinfo ENOTFOUND` stack that every offline start prints.
 * `--verbose` shows everything. Pure: a line goes in, kept or not comes out.
 */

/** Paths the start script itself calls (its health wait, the minute cron): not the user's requests. */
const OWN_REQUESTS = /^\[wrangler:info\] (GET|POST) \/(health|__scheduled)\b/;

const DROPPED = [
  /^\s*⛅️ wrangler /,
  /^Cloudflare collects anonymous telemetry/,
  /^─+$/,
  /^Using (secrets|vars) defined in /,
  /^⎔ (Starting local server|Reloading local server|Connection status updated)/,
  /^\[wrangler:info\] Ready on /,
  /^Use --remote if you want/,
  /^Resource location: local/,
];

/** A worker log line (src/lib/log.ts) at info or debug level. */
const QUIET_LOG = /^\{"level":"(info|debug)"/;

/**
 * A filter over wrangler dev's lines, keeping what a person starting the stack needs. It keeps
 * state across lines: a bindings table or a stack trace is dropped to its end.
 * @example const keep = createWranglerFilter({ verbose: false }); lines.filter(keep)
 */
export function createWranglerFilter(options: { verbose: boolean }): (line: string) => boolean {
  let inBindings = false;
  let inTrace = false;
  return (printed: string) => {
    if (options.verbose) return true;
    const line = withoutColours(printed);
    if (inBindings) {
      if (line.trim() === "") inBindings = false;
      return false;
    }
    if (/^Your Worker has access to the following bindings:/.test(line)) {
      inBindings = true;
      return false;
    }
    if (inTrace) {
      if (/^\s+at\s/.test(line) || /^Error: getaddrinfo /.test(line)) return false;
      inTrace = false;
    }
    if (/Unable to fetch the `Request\.cf` object/.test(line)) {
      inTrace = true;
      return false;
    }
    if (line.trim() === "") return false;
    if (DROPPED.some((pattern) => pattern.test(line))) return false;
    if (OWN_REQUESTS.test(line)) return false;
    return !QUIET_LOG.test(line);
  };
}

/** The text of a line without its terminal colour codes (wrangler colours a warning even into a pipe). */
export function withoutColours(line: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is removed.
  return line.replace(/\u001b\[[0-9;]*m/g, "");
}

/** Splits a stream's chunks into whole lines for `onLine`; `flush` hands over a last unfinished one. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; flush(): void } {
  let pending = "";
  return {
    push(chunk) {
      pending += chunk;
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    },
    flush() {
      if (pending !== "") onLine(pending);
      pending = "";
    },
  };
}

/**
 * One line for `wrangler d1 migrations apply`'s output (a table per migration applied): how many
 * were applied, or that there was nothing to apply; null when the output says neither.
 */
export function summariseMigrations(output: string): string | null {
  if (/No migrations to apply/.test(output)) return "local D1 is up to date (no migration to apply)";
  const count = /About to apply (\d+) migration/.exec(output)?.[1];
  if (count) return `local D1: ${count} migration${count === "1" ? "" : "s"} applied`;
  return null;
}

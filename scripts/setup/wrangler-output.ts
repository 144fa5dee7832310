/**
 * Reads what wrangler 4.x prints for the commands `npm run setup` runs. Pure functions over the
 * captured text, so each format is tested on its own and a change in wrangler fails loudly here
 * instead of being read as "nothing exists".
 */

/** A line-level parse failure: the command's output was not in the shape this wrangler prints. */
export class UnreadableOutput extends Error {}

/** The accounts a login can act on, from `wrangler whoami --json`; null when not logged in. */
export type Login = { email: string | undefined; accounts: { id: string; name: string }[] };

/** A D1 database as `wrangler d1 list --json` lists it. */
export type D1Database = { uuid: string; name: string };

// Colours are off when wrangler's stdout is a pipe, but FORCE_COLOR can turn them back on.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the ESC of ANSI colour codes.
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * The JSON document in a command's stdout. wrangler prints only the document with `--json`,
 * but a warning that lands on stdout must not hide it, so the first line that opens a JSON
 * array or object is where the document starts.
 */
export function jsonDocument(stdout: string, command: string): unknown {
  const text = stdout.replace(ANSI, "");
  const start = text.search(/^[[{]/m);
  if (start >= 0) {
    try {
      return JSON.parse(text.slice(start));
    } catch {
      // Reported below with the command's name.
    }
  }
  throw new UnreadableOutput(`\`${command}\` did not print the JSON expected: ${text.trim().slice(0, 200)}`);
}

/**
 * `wrangler whoami --json`: `{"loggedIn":true,"email":…,"accounts":[{"id","name"}],…}`, or
 * `{"loggedIn":false}` with a non-zero exit when nobody is logged in.
 */
export function readLogin(stdout: string): Login | null {
  const doc = jsonDocument(stdout, "wrangler whoami --json") as {
    loggedIn?: boolean;
    email?: string;
    accounts?: { id: string; name: string }[];
  };
  if (doc.loggedIn !== true) return null;
  return { email: doc.email, accounts: (doc.accounts ?? []).map(({ id, name }) => ({ id, name })) };
}

/** `wrangler d1 list --json`: an array of the account's databases (`uuid`, `name`, …). */
export function readDatabases(stdout: string): D1Database[] {
  const doc = jsonDocument(stdout, "wrangler d1 list --json");
  if (!Array.isArray(doc)) throw new UnreadableOutput("`wrangler d1 list --json` did not print a list");
  return doc.map((db: { uuid: string; name: string }) => ({ uuid: db.uuid, name: db.name }));
}

/**
 * `wrangler queues list` has no `--json`: it prints a table (cli-table3, box-drawing borders)
 * with an `id` and a `name` column, one page at a time. The names of the table's rows; an empty
 * page prints no table at all.
 */
export function readQueueNames(stdout: string): string[] {
  const rows = stdout
    .replace(ANSI, "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("│") && line.endsWith("│"))
    .map((line) =>
      line
        .slice(1, -1)
        .split("│")
        .map((cell) => cell.trim()),
    );
  if (rows.length === 0) return [];
  const [head, ...body] = rows;
  const nameColumn = head?.indexOf("name") ?? -1;
  if (nameColumn < 0) throw new UnreadableOutput("`wrangler queues list` printed a table without a name column");
  return body.map((cells) => cells[nameColumn] ?? "").filter((name) => name.length > 0);
}

/**
 * `wrangler secret list --format json`: `[{"name": …, "type": "secret_text"}]`. Only names:
 * Cloudflare never gives a secret's value back.
 */
export function readSecretNames(stdout: string): string[] {
  const doc = jsonDocument(stdout, "wrangler secret list");
  if (!Array.isArray(doc)) throw new UnreadableOutput("`wrangler secret list` did not print a list");
  return doc.map((secret: { name: string }) => secret.name);
}

/** `wrangler secret list` on a Worker that was never deployed fails with `Worker "<name>" not found`. */
export function isWorkerNotFound(output: string): boolean {
  return /Worker "[^"]*"(?: \(env: [^)]*\))? not found/.test(output.replace(ANSI, ""));
}

/**
 * The URL a deploy made the Worker reachable at. `wrangler deploy` appends a `{"type":"deploy",
 * "targets":[…]}` line to the file named by WRANGLER_OUTPUT_FILE_PATH, and prints the same
 * targets under `Deployed <name> triggers`: the workers.dev URL (`https://<name>.<subdomain>.workers.dev`),
 * routes, `schedule: …`, `Producer for …`. The workers.dev URL is preferred, else the first http(s) target.
 */
export function deployedUrl(outputFile: string, stdout: string): string | undefined {
  const targets: string[] = [];
  for (const line of outputFile.split("\n")) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as { type?: string; targets?: unknown };
      if (entry.type === "deploy" && Array.isArray(entry.targets)) targets.push(...entry.targets.map(String));
    } catch {
      // Not an entry of ours; the printed targets below still count.
    }
  }
  for (const match of stdout.replace(ANSI, "").matchAll(/^\s+(https?:\/\/\S+)\s*$/gm)) targets.push(match[1] ?? "");
  const urls = targets.filter((target) => /^https?:\/\//.test(target));
  return urls.find((url) => /\.workers\.dev\/?$/.test(url)) ?? urls[0];
}

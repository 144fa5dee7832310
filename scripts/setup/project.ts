/**
 * What setup needs from wrangler.toml (the Worker's name, its D1 database, every queue it
 * produces to, consumes or dead-letters into, the Omisell auth mode), read with wrangler's own
 * parser, and the two edits setup makes to it: the database id and OMISELL_AUTH_MODE. The edits
 * touch one line each and keep every comment.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AUTH_MODES, type AuthMode } from "./secrets.ts";

export type Project = {
  dir: string;
  configPath: string;
  workerName: string;
  /** `account_id` of wrangler.toml, when it pins one. */
  accountId: string | undefined;
  database: { binding: string; name: string; id: string | undefined };
  /** Every queue named in wrangler.toml, each once: producers, consumers, dead-letter queues. */
  queues: string[];
  authMode: AuthMode;
};

type RawConfig = {
  name?: string;
  account_id?: string;
  vars?: Record<string, unknown>;
  d1_databases?: { binding?: string; database_name?: string; database_id?: string }[];
  queues?: {
    producers?: { queue?: string }[];
    consumers?: { queue?: string; dead_letter_queue?: string }[];
  };
};

/** The id wrangler.toml ships with until setup (or a user) writes the real one. */
export function isPlaceholderId(id: string | undefined): boolean {
  return !id || /^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(id);
}

/** The queue names of a config, producers first, in the order they are written, each once. */
export function queueNames(config: RawConfig): string[] {
  const names = [
    ...(config.queues?.producers ?? []).map((p) => p.queue),
    ...(config.queues?.consumers ?? []).flatMap((c) => [c.queue, c.dead_letter_queue]),
  ];
  return [...new Set(names.filter((name): name is string => typeof name === "string" && name.length > 0))];
}

/** Reads `<dir>/wrangler.toml` the way wrangler does (its exported raw-config reader). */
export async function readProject(dir: string): Promise<Project> {
  const configPath = join(dir, "wrangler.toml");
  // wrangler is a large module; it is loaded only when setup runs, not when its helpers are tested.
  const wrangler = (await import("wrangler")) as {
    experimental_readRawConfig: (args: { config: string }) => { rawConfig: RawConfig };
  };
  const { rawConfig } = wrangler.experimental_readRawConfig({ config: configPath });
  const database = rawConfig.d1_databases?.[0];
  if (!rawConfig.name) throw new Error(`${configPath} has no Worker name`);
  if (!database?.binding || !database.database_name) {
    throw new Error(`${configPath} has no [[d1_databases]] with a binding and a database_name`);
  }
  const mode = String(rawConfig.vars?.OMISELL_AUTH_MODE ?? "account");
  if (!(AUTH_MODES as readonly string[]).includes(mode)) {
    throw new Error(`${configPath}: OMISELL_AUTH_MODE is "${mode}", not one of ${AUTH_MODES.join(", ")}`);
  }
  return {
    dir,
    configPath,
    workerName: rawConfig.name,
    accountId: rawConfig.account_id,
    database: {
      binding: database.binding,
      name: database.database_name,
      id: isPlaceholderId(database.database_id) ? undefined : database.database_id,
    },
    queues: queueNames(rawConfig),
    authMode: mode as AuthMode,
  };
}

/** The lines of one TOML table (from its header to the next header), by their indexes. */
function tables(lines: string[]): { header: string; start: number; end: number }[] {
  const found: { header: string; start: number; end: number }[] = [];
  lines.forEach((line, index) => {
    const header = line.trim().match(/^(\[\[?[^\]]+\]\]?)/)?.[1];
    if (!header) return;
    const last = found.at(-1);
    if (last) last.end = index;
    found.push({ header, start: index, end: lines.length });
  });
  return found;
}

const keyLine = (key: string) => new RegExp(`^\\s*${key}\\s*=`);
const tomlString = (value: string) => JSON.stringify(value);

/**
 * `toml` with `database_id = "<id>"` in the `[[d1_databases]]` table of `binding`: the line
 * replaced when there is one, else added after `database_name`.
 */
export function withDatabaseId(toml: string, binding: string, id: string): string {
  const lines = toml.split("\n");
  const table = tables(lines).find(
    ({ header, start, end }) =>
      header === "[[d1_databases]]" &&
      lines.slice(start, end).some((line) => new RegExp(`^\\s*binding\\s*=\\s*"${binding}"`).test(line)),
  );
  if (!table) throw new Error(`wrangler.toml has no [[d1_databases]] with binding = "${binding}"`);
  const body = lines.slice(table.start, table.end);
  const existing = body.findIndex((line) => keyLine("database_id").test(line));
  if (existing >= 0) {
    lines[table.start + existing] = `database_id = ${tomlString(id)}`;
  } else {
    const nameLine = body.findIndex((line) => keyLine("database_name").test(line));
    lines.splice(table.start + Math.max(nameLine, 0) + 1, 0, `database_id = ${tomlString(id)}`);
  }
  return lines.join("\n");
}

/** `toml` with `<name> = "<value>"` in `[vars]`: the line replaced when there is one, else added first. */
export function withVar(toml: string, name: string, value: string): string {
  const lines = toml.split("\n");
  const vars = tables(lines).find(({ header }) => header === "[vars]");
  if (!vars) throw new Error("wrangler.toml has no [vars] table");
  const existing = lines.slice(vars.start, vars.end).findIndex((line) => keyLine(name).test(line));
  if (existing >= 0) lines[vars.start + existing] = `${name} = ${tomlString(value)}`;
  else lines.splice(vars.start + 1, 0, `${name} = ${tomlString(value)}`);
  return lines.join("\n");
}

/** Applies `edit` to the project's wrangler.toml on disk. */
export function editConfig(project: Project, edit: (toml: string) => string): void {
  writeFileSync(project.configPath, edit(readFileSync(project.configPath, "utf8")));
}

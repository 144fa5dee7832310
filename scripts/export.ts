/**
 * `npm run export -- --url <worker> --token <read token> --from <day|ms> --to <day|ms> --out <file>`:
 * writes the events that arrived in a period (at most 31 days) as plain NDJSON, one event a line in
 * id order, from the archive and from D1 for what is not archived yet (a line's `archived_at` says
 * which; an event found in both is written once). A day as `--to` includes that whole day.
 * Exit code 0 when written, 2 for a bad flag or period, 1 when the worker refused or failed.
 */

import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { ExportError, type ExportSummary, exportEvents, exportPeriod } from "./lib/archive-export.ts";

const USAGE =
  "npm run export -- --url http://localhost:8787 --token dev-read-token --from 2026-03-01 --to 2026-03-07 --out events.ndjson";

export type ExportCommand = { url: string; token: string; from: string; to: string; out: string };

/** The flags, checked; throws ExportError naming what is missing or wrong. */
export function readExportFlags(argv: string[]): ExportCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        url: { type: "string", default: "http://localhost:8787" },
        token: { type: "string", default: "dev-read-token" },
        from: { type: "string" },
        to: { type: "string" },
        out: { type: "string" },
      },
    }).values;
  } catch (err) {
    throw new ExportError(`${err instanceof Error ? err.message : String(err)}\nusage: ${USAGE}`);
  }
  const missing = ["from", "to", "out"].filter((name) => typeof values[name] !== "string" || values[name] === "");
  if (missing.length > 0) {
    throw new ExportError(`missing ${missing.map((name) => `--${name}`).join(", ")}\nusage: ${USAGE}`);
  }
  return {
    url: String(values.url),
    token: String(values.token),
    from: String(values.from),
    to: String(values.to),
    out: String(values.out),
  };
}

/** Runs an export to `out` (written whole, or left incomplete with the error thrown). */
export async function runExport(
  command: ExportCommand,
  log: (line: string) => void = console.error,
  fetchImpl?: (url: string, init: RequestInit) => Promise<Response>,
): Promise<ExportSummary> {
  const period = exportPeriod(command.from, command.to);
  const file = createWriteStream(command.out);
  try {
    const summary = await exportEvents({
      url: command.url,
      token: command.token,
      ...period,
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
      log,
      async write(line) {
        if (!file.write(`${line}\n`)) await once(file, "drain");
      },
    });
    return summary;
  } finally {
    file.end();
    await once(file, "close");
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let command: ExportCommand;
  try {
    command = readExportFlags(process.argv.slice(2));
    exportPeriod(command.from, command.to);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  }
  try {
    const s = await runExport(command);
    console.error(
      `wrote ${s.events} events to ${command.out}: ${s.fromArchive} from the archive (${s.objects} objects), ` +
        `${s.fromD1} still in D1; ${s.duplicates} found in both, written once`,
    );
    process.exit(0);
  } catch (err) {
    console.error(err instanceof ExportError ? err.message : err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  }
}

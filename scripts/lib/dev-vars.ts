/**
 * The local settings `npm start` reads to say what it runs: `.dev.vars` (dotenv lines) and the
 * `[vars]` of wrangler.toml, both parsed the way wrangler reads them for these simple files. Pure.
 */

/** `KEY=value` lines of a `.dev.vars`: `#` comments and blank lines skipped, quotes around a value removed. */
export function parseDevVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match?.[1]) continue;
    vars[match[1]] = unquote(match[2] ?? "");
  }
  return vars;
}

function unquote(value: string): string {
  const quoted = /^(['"])(.*)\1$/.exec(value);
  if (quoted) return quoted[2] ?? "";
  // An unquoted value ends at a ` #` comment.
  return value.replace(/\s+#.*$/, "").trim();
}

/** The `KEY = "value"` lines of wrangler.toml's `[vars]` table (commented lines are not vars). */
export function readTomlVars(toml: string): Record<string, string> {
  const vars: Record<string, string> = {};
  let inVars = false;
  for (const raw of toml.split(/\r?\n/)) {
    const line = raw.trim();
    if (/^\[\[?[^\]]+\]\]?$/.test(line)) {
      inVars = line === "[vars]";
      continue;
    }
    if (!inVars) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"]*)"/.exec(line);
    if (match?.[1]) vars[match[1]] = match[2] ?? "";
  }
  return vars;
}

/**
 * The README's table of endpoints, made from the OpenAPI document the route declarations build
 * (`npm run docs:api` writes it between markers; a test fails when it is stale). Pure.
 */

type Operation = {
  summary?: string;
  description?: string;
  security?: unknown[];
  "x-required-role"?: string;
  /** How a caller proves who it is when it is not a bearer token (the push's signature). */
  "x-auth"?: string;
};
/** The part of an OpenAPI document the table reads. */
export type ApiDocument = { paths: Record<string, Record<string, Operation>> };

export const TABLE_START = "<!-- api-table:start (npm run docs:api writes this table from the route declarations) -->";
export const TABLE_END = "<!-- api-table:end -->";

const METHODS = ["get", "post", "put", "patch", "delete"];

/** Who may call an operation: no token, any token, or an admin token. */
function whoOf(op: Operation): string {
  if (op["x-auth"]) return op["x-auth"];
  if (op["x-required-role"] === "admin") return "admin token";
  if (Array.isArray(op.security) && op.security.length === 0) return "no token";
  return "read token";
}

/** The first sentence of a description, for a table cell. */
function firstSentence(text: string | undefined): string {
  const sentence = /^(.*?[.!?])(?:\s|$)/s.exec(text ?? "")?.[1] ?? text ?? "";
  return sentence.replace(/\s+/g, " ").replace(/\|/g, "\\|").trim();
}

/** One row per operation, in the document's order: the endpoint, who may call it, what it does. */
export function renderApiTable(doc: ApiDocument): string {
  const rows = Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => {
      const op = item[method] as Operation;
      const what = [op.summary, firstSentence(op.description)].filter(Boolean).join(": ");
      return `| \`${method.toUpperCase()} ${path}\` | ${whoOf(op)} | ${what} |`;
    }),
  );
  return ["| endpoint | needs | what it does |", "|---|---|---|", ...rows].join("\n");
}

/** `readme` with the text between the markers replaced by `table`; throws when a marker is missing. */
export function withApiTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the markers ${TABLE_START} … ${TABLE_END}`);
  return `${readme.slice(0, start + TABLE_START.length)}\n${table}\n${readme.slice(end)}`;
}

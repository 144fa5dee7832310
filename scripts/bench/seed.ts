/**
 * Fills the local D1 database with stored events for the "how cost grows" figures, without any
 * bench-only route in the worker: a SQL file of multi-row INSERTs run by
 * `wrangler d1 execute DB --local --persist-to <dir> --file`, while the worker is stopped.
 * Rows look like real traffic: the 18 events, 50 sellers, a few thousand orders, mostly processed.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { wrangler } from "../lib/local-stack.ts";

const EVENTS: readonly [event: string, category: string][] = [
  ["order.all", "order"],
  ["order.created", "order"],
  ["order.ready_to_ship", "order"],
  ["order.shipped", "order"],
  ["order.completed", "order"],
  ["order.returned", "order"],
  ["order.cancelled", "order"],
  ["order.reconciled", "order"],
  ["order.return_receive", "order"],
  ["shipment.all", "shipment"],
  ["shipment.created", "shipment"],
  ["shipment.ready_to_ship", "shipment"],
  ["shipment.shipped", "shipment"],
  ["shipment.delivered", "shipment"],
  ["shipment.returned", "shipment"],
  ["shipment.cancelled", "shipment"],
  ["order_return.all", "return"],
  ["order.si.generate", "sale_invoice"],
];
const STATUSES: readonly string[] = [
  ...Array<string>(95).fill("processed"),
  "skipped",
  "skipped",
  "failed",
  "failed",
  "received",
];
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const DAY_MS = 86_400_000;
// D1 refuses statements over 100 KB; 150 rows of about 300 bytes stay well below.
const ROWS_PER_INSERT = 150;

/** The event id layout of src/lib/ids.ts: 10 base32 characters of the ms timestamp, 16 random. */
export function eventIdAt(ms: number): string {
  let rest = ms;
  let time = "";
  for (let i = 0; i < 10; i++) {
    time = ALPHABET.charAt(rest % 32) + time;
    rest = Math.floor(rest / 32);
  }
  let random = "";
  for (const b of randomBytes(16)) random += ALPHABET.charAt(b & 31);
  return time + random;
}

/** A value of a seeded row as SQL: NULL, a number, or quoted text (seeded text holds no quotes). */
const quote = (value: string | number | null) =>
  value === null ? "NULL" : typeof value === "number" ? String(value) : `'${value}'`;

const RESOURCE_TYPES: Record<string, string> = {
  order: "order",
  shipment: "shipment",
  return: "return",
  sale_invoice: "invoice",
};

/** Row `n` of a seeded history ending at `now`, spread over the last 30 days. */
export function seededRow(n: number, now: number): (string | number | null)[] {
  const [event, category] = EVENTS[n % EVENTS.length] ?? EVENTS[0]!;
  const receivedAt = now - 60_000 - Math.floor((((n * 7919) % 1_000_003) / 1_000_003) * 30 * DAY_MS);
  const order = `OMS${String(n % 20_000).padStart(8, "0")}`;
  const seller = `S${n % 50}`;
  const status = STATUSES[n % STATUSES.length] ?? "processed";
  const resourceType = RESOURCE_TYPES[category] ?? category;
  const resourceId = category === "order" ? order : `${resourceType.toUpperCase()}${n % 20_000}`;
  const requestId = `seed-${n}`;
  const payload = JSON.stringify({
    request_id: requestId,
    event,
    data: { omisell_order_number: order, seller_id: seller, note: "seeded" },
  });
  return [
    eventIdAt(receivedAt),
    requestId,
    requestId,
    event,
    category,
    seller,
    resourceType,
    resourceId,
    order,
    status,
    status === "failed" ? 8 : 1,
    status === "failed" ? "HTTP 500 from Omisell" : null,
    1,
    receivedAt,
    status === "received" ? null : receivedAt + 400,
    payload,
  ];
}

const COLUMNS =
  "id, dedupe_key, request_id, event, category, seller_id, resource_type, resource_id, order_number, status, attempts, last_error, signature_valid, received_at, processed_at, payload";

/** Writes rows [from, to) as multi-row INSERTs into `file`. */
export function writeSeedSql(file: string, from: number, to: number, now = Date.now()): void {
  const statements: string[] = [];
  for (let start = from; start < to; start += ROWS_PER_INSERT) {
    const values: string[] = [];
    for (let n = start; n < Math.min(to, start + ROWS_PER_INSERT); n++) {
      values.push(`(${seededRow(n, now).map(quote).join(",")})`);
    }
    statements.push(`INSERT INTO events (${COLUMNS}) VALUES\n${values.join(",\n")};`);
  }
  writeFileSync(file, `${statements.join("\n")}\n`);
}

/** Runs a SQL file against the local database in `persistTo` (the worker must be stopped). */
export function executeSqlFile(persistTo: string, file: string): void {
  const result = wrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--file", file, "--yes"], {
    stdio: "pipe",
  });
  if (result.status !== 0) throw new Error(`seeding failed:\n${result.stdout}${result.stderr}`);
}

/** Runs statements (`;`-separated) against the local database; returns the rows of each, in order. */
export function querySql(persistTo: string, sql: string): Record<string, unknown>[][] {
  const result = wrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--json", "--command", sql], {
    stdio: "pipe",
  });
  if (result.status !== 0) throw new Error(`query failed:\n${result.stdout}${result.stderr}`);
  const statements = JSON.parse(result.stdout) as { results?: Record<string, unknown>[] }[];
  return statements.map((statement) => statement.results ?? []);
}

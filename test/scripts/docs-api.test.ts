/**
 * README.md's table of endpoints is the one the route declarations make (`npm run docs:api`):
 * this fails when a route is added, removed or redescribed without running it. The worker's
 * code is loaded in node as the script loads it.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadApiDocument } from "../../scripts/lib/api-document.ts";
import { type ApiDocument, renderApiTable, TABLE_END, TABLE_START, withApiTable } from "../../scripts/lib/api-table.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README.md's table of endpoints", () => {
  let doc: ApiDocument;
  let table: string;
  beforeAll(async () => {
    doc = await loadApiDocument();
    table = renderApiTable(doc);
  });

  it("is what npm run docs:api writes from the route declarations now", () => {
    expect(withApiTable(readme, table), "README.md is stale: run npm run docs:api").toBe(readme);
  });

  it("lists every operation of the OpenAPI document, with who may call it", () => {
    const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    const rows = table.split("\n").slice(2);
    expect(rows).toHaveLength(operations);
    expect(rows).toContain(
      "| `GET /api/events` | read token | List events: Stored pushes, newest first, without payload. |",
    );
    expect(rows.find((row) => row.startsWith("| `POST /api/reconcile`"))).toContain("| admin token |");
    expect(rows.find((row) => row.startsWith("| `POST /webhooks/omisell`"))).toContain("| Omisell's signature |");
    expect(rows.find((row) => row.startsWith("| `GET /health/pipeline`"))).toContain("| no token |");
  });

  it("is written between its markers only, and refused without them", () => {
    const text = `intro\n${TABLE_START}\nold\n${TABLE_END}\noutro`;
    expect(withApiTable(text, "NEW")).toBe(`intro\n${TABLE_START}\nNEW\n${TABLE_END}\noutro`);
    expect(() => withApiTable("no markers", "NEW")).toThrow(/markers/);
  });
});

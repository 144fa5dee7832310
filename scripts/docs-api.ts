/**
 * `npm run docs:api`: writes README.md's table of endpoints from the route declarations (the
 * OpenAPI document `src/api/` builds); `-- --check` only says whether it is current (exit 1 if not).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadApiDocument } from "./lib/api-document.ts";
import { renderApiTable, withApiTable } from "./lib/api-table.ts";
import { ROOT } from "./lib/local-stack.ts";

const check = process.argv.includes("--check");
const table = renderApiTable(await loadApiDocument());
const readmePath = join(ROOT, "README.md");
const readme = readFileSync(readmePath, "utf8");
const updated = withApiTable(readme, table);
if (check) {
  if (updated !== readme) {
    console.error("README.md's table of endpoints is stale: run npm run docs:api");
    process.exit(1);
  }
  console.log("README.md's table of endpoints is current");
} else {
  writeFileSync(readmePath, updated);
  console.log(`README.md: ${table.split("\n").length - 2} endpoints`);
}

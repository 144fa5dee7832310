/**
 * The worker's OpenAPI document, built in node from the route declarations: the worker's
 * TypeScript loaded through Vite's module runner (the way the tests load it), with a stand-in for
 * `cloudflare:workers`. Used by `npm run docs:api` and its test.
 */
import { join } from "node:path";
import { runnerImport } from "vite";
import type { ApiDocument } from "./api-table.ts";
import { ROOT } from "./local-stack.ts";

type Api = { apiRoutes: unknown };
type OpenApi = { buildOpenApiDocument(api: unknown, serverUrl: string): ApiDocument };

async function load<T>(path: string): Promise<T> {
  const { module } = await runnerImport<T>(join(ROOT, path), {
    configFile: false,
    root: ROOT,
    logLevel: "error",
    resolve: { alias: { "cloudflare:workers": join(ROOT, "scripts/lib/workers-stub.ts") } },
  });
  return module;
}

/** The document `/openapi.json` serves, with `serverUrl` as its server. */
export async function loadApiDocument(serverUrl = "http://localhost:8787"): Promise<ApiDocument> {
  const { apiRoutes } = await load<Api>("src/api/routes.ts");
  const { buildOpenApiDocument } = await load<OpenApi>("src/api/openapi.ts");
  return buildOpenApiDocument(apiRoutes, serverUrl);
}

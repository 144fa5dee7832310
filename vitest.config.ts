/**
 * Two projects:
 * - `workers`: tests that run inside workerd through the Cloudflare vitest plugin, with the
 *   real D1 migrations, queues and Durable Objects of wrangler.toml (test/**, not test/e2e).
 * - `e2e`: black-box tests over HTTP against a real `wrangler dev` started the way `npm start`
 *   starts it, with the Omisell stand-in (test/e2e).
 * - `scripts`: the local tools of scripts/ (stand-in, receiver, tail, …) tested in node, in-process.
 */

import { readFileSync } from "node:fs";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export const TEST_PUSH_SECRET = "test-push-secret";

const orderDetail = JSON.parse(readFileSync("./test/fixtures/order-detail-response.json", "utf8"));

/**
 * The forwarding destination of the workers tests: `https://forward.test/hook/<scenario>` gives
 * the scenario's scripted answers in turn (the last one repeats; 200 when there is no script)
 * and records every request. A test scripts and reads a scenario over fetch (test/helpers/forward.ts):
 * `POST https://forward.test/__script/<scenario>` with `[{"status":500},{"status":200}]`
 * (`delayMs` holds the answer back, `location` sets the header), and
 * `GET https://forward.test/__calls/<scenario>` returns the recorded requests.
 */
const FORWARD_HOST = "forward.test";

type Answer = { status: number; delayMs?: number; location?: string };
type RecordedCall = { url: string; method: string; headers: Record<string, string>; body: string };

const scripts = new Map<string, Answer[]>();
const calls = new Map<string, RecordedCall[]>();

async function forwardStandIn(request: Request): Promise<Response> {
  const [, kind, scenario = ""] = new URL(request.url).pathname.split("/");
  if (kind === "__script") {
    scripts.set(scenario, (await request.json()) as Answer[]);
    return new Response(null, { status: 204 });
  }
  if (kind === "__calls") return Response.json(calls.get(scenario) ?? []);
  const recorded = calls.get(scenario) ?? [];
  recorded.push({
    url: request.url,
    method: request.method,
    headers: Object.fromEntries(request.headers),
    body: await request.text(),
  });
  calls.set(scenario, recorded);
  const script = scripts.get(scenario) ?? [];
  const answer = script[Math.min(recorded.length, script.length) - 1] ?? { status: 200 };
  if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
  const headers = answer.location ? { location: answer.location } : undefined;
  return new Response(answer.status === 204 ? null : `answer ${answer.status}`, { status: answer.status, headers });
}

/**
 * Omisell's order list for the reconciliation tests, per credential (the Authorization header),
 * so a test file that uses its own OMISELL_ACCOUNT_KEY sees only its orders and every other file
 * an empty list. `POST /__standin/orders` with `[<order header>, …]` adds orders under the
 * caller's credential; `GET /api/v2/public/order/list` filters them by updated_from/updated_to
 * (epoch seconds, inclusive) and pages by page/page_size with a `next` link, as Omisell does.
 */
const listedOrders = new Map<string, { updated_time: number }[]>();

async function orderListStandIn(request: Request, url: URL): Promise<Response> {
  const credential = request.headers.get("authorization") ?? "";
  if (request.method === "POST") {
    const added = (await request.json()) as { updated_time: number }[];
    listedOrders.set(credential, [...(listedOrders.get(credential) ?? []), ...added]);
    return new Response(null, { status: 204 });
  }
  const from = Number(url.searchParams.get("updated_from"));
  const to = Number(url.searchParams.get("updated_to"));
  const page = Number(url.searchParams.get("page") ?? "1");
  const size = Number(url.searchParams.get("page_size") ?? "100");
  const matching = (listedOrders.get(credential) ?? []).filter((o) => o.updated_time >= from && o.updated_time <= to);
  const more = page * size < matching.length;
  const nextUrl = new URL(url);
  nextUrl.searchParams.set("page", String(page + 1));
  const results = matching.slice((page - 1) * size, page * size);
  return Response.json({ data: { count: matching.length, next: more ? nextUrl.href : null, previous: null, results } });
}

/** Order detail and order list on the test API base; the forwarding stand-in; a JSON 404 for anything else. */
async function omisellOutbound(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.hostname === FORWARD_HOST) return forwardStandIn(request);
  if (url.pathname === "/__standin/orders" || url.pathname === "/api/v2/public/order/list") {
    return orderListStandIn(request, url);
  }
  const match = new URL(request.url).pathname.match(/^\/api\/v2\/public\/order\/([^/]+)$/);
  if (request.method === "GET" && match) {
    const data = { ...orderDetail.data, omisell_order_number: decodeURIComponent(match[1] as string) };
    return Response.json({ ...orderDetail, data });
  }
  return Response.json({ error: true, error_code: 404, messages: "not found in the test stand-in" }, { status: 404 });
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  OMISELL_PUSH_SECRET: TEST_PUSH_SECRET,
                  PUBLIC_CALLBACK_URL: "https://omisell-push.example.workers.dev/webhooks/omisell",
                  READ_API_TOKENS: "test-read-token",
                  ADMIN_API_TOKENS: "test-admin-token",
                  OMISELL_API_BASE: "https://api.omisell.test",
                  OMISELL_AUTH_MODE: "account",
                  OMISELL_ACCOUNT_KEY: "test-account-key",
                  // Test files share the account key's rate limiter: a budget they cannot run out
                  // of, refilled within a second. Tests of throttling set a small
                  // OMISELL_RATE_LIMIT and their own key.
                  OMISELL_RATE_LIMIT: "10000/1",
                  // Follow-ups go at once; tests of the quiet window set their own.
                  FOLLOWUP_QUIET_MS: "0",
                },
                // The queue consumer really runs in these tests: every outbound request it makes
                // (there is no internet) is answered here by a minimal Omisell stand-in.
                outboundService: omisellOutbound,
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/**/*.test.ts"],
            exclude: ["test/e2e/**", "test/scripts/**"],
            setupFiles: ["./test/setup/apply-migrations.ts"],
            // The worker logs one JSON line per decision; show them only for failing tests.
            silent: "passed-only",
            testTimeout: 20_000,
          },
        },
        {
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.test.ts"],
            environment: "node",
            globalSetup: ["./test/e2e/global-setup.ts"],
            testTimeout: 60_000,
            hookTimeout: 120_000,
            fileParallelism: false,
          },
        },
        {
          test: {
            name: "scripts",
            include: ["test/scripts/**/*.test.ts"],
            environment: "node",
            testTimeout: 20_000,
          },
        },
      ],
    },
  };
});

/**
 * A local stand-in for the Omisell API, for `npm start`, the e2e tests and the benchmark.
 * Serves GET /api/v2/public/order/{omisell_order_number} in Omisell's documented shape.
 * (Basic version; knobs and token endpoints arrive with the follow-up work.)
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const TEMPLATE = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), "order-detail-template.json"), "utf8"),
);

export async function startOmisellStandin({ port = 8788, host = "127.0.0.1" } = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://standin");
    const match = url.pathname.match(/^\/api\/v2\/public\/order\/([^/]+)$/);
    if (req.method === "GET" && match) {
      const number = decodeURIComponent(match[1]);
      const body = {
        ...TEMPLATE,
        data: { ...TEMPLATE.data, omisell_order_number: number },
        timestamp: Math.floor(Date.now() / 1000),
      };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: true, error_code: 404, messages: "not found", data: null }));
  });
  await new Promise((resolveListen) => server.listen(port, host, resolveListen));
  const address = server.address();
  const url = `http://${host}:${address.port}`;
  return {
    url,
    port: address.port,
    close: () => new Promise((resolveClose) => server.close(() => resolveClose())),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const standin = await startOmisellStandin({ port: Number(process.env.STANDIN_PORT ?? 8788) });
  console.log(`Omisell stand-in on ${standin.url}`);
}

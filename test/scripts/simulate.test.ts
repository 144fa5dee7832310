/**
 * `npm run simulate` as a user runs it (a child process), against a fake push endpoint and the
 * in-process Omisell stand-in: both signature schemes, the observed event names, and --drop.
 */
import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startOmisellStandin } from "../../scripts/omisell-standin.ts";
import { startFakeWorker } from "./fake-worker";

const run = promisify(execFile);
let standin: Awaited<ReturnType<typeof startOmisellStandin>>;
let endpoint: Awaited<ReturnType<typeof startFakeWorker>> | undefined;

beforeAll(async () => {
  standin = await startOmisellStandin({ port: 0 });
});
afterAll(async () => {
  await standin.close();
});
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

async function simulate(args: string[]) {
  endpoint = await startFakeWorker((_req, _body, res) => {
    res.writeHead(200, { "push-status": "accepted", "push-event-id": "01JFAKE" });
    res.end();
  });
  const url = `${endpoint.url}/webhooks/omisell`;
  const { stdout } = await run(process.execPath, [
    "scripts/simulate.ts",
    "--url",
    url,
    "--standin",
    standin.url,
    ...args,
  ]);
  return { stdout, url, pushes: endpoint.requests };
}
const eventOf = (body: string) => (JSON.parse(body) as { event: string }).event;

describe("npm run simulate", () => {
  it("sends the published events and the names seen in production, HMAC-signed over url|body", async () => {
    const { pushes, url } = await simulate(["--secret", "s3cret", "--only", "sample"]);
    const events = pushes.map((p) => eventOf(p.body));
    expect(events).toHaveLength(30);
    expect(events).toEqual(
      expect.arrayContaining(["order.all", "order.si.generate", "order_return.closed", "shipment.exceptions"]),
    );
    for (const push of pushes) {
      expect(push.authorization).toBe(createHmac("sha256", "s3cret").update(`${url}|${push.body}`).digest("hex"));
    }
  });

  it("signs with the secret itself under --scheme static", async () => {
    const { pushes } = await simulate(["--secret", "static-secret", "--scheme", "static", "--only", "sample"]);
    expect(new Set(pushes.map((p) => p.authorization))).toEqual(new Set(["static-secret"]));
  });

  it("with --drop 0.2 changes orders in the stand-in and pushes only 80 % of them", async () => {
    const before = Date.now() / 1000 - 1;
    const { stdout, pushes } = await simulate(["--only", "drop", "--drop", "0.2", "--changes", "10"]);
    const made = (await (await fetch(`${standin.url}/__standin/orders`)).json()) as {
      omisell_order_number: string;
      updated_time: number;
    }[];
    const changed = made.filter(
      (o) => o.updated_time >= Math.floor(before) && o.omisell_order_number.startsWith("OMSIM"),
    );
    expect(changed).toHaveLength(10);
    expect(pushes).toHaveLength(8);
    const pushed = new Set(
      pushes.map((p) => (JSON.parse(p.body) as { data: { omisell_order_number: string } }).data.omisell_order_number),
    );
    const dropped = changed.map((o) => o.omisell_order_number).filter((n) => !pushed.has(n));
    expect(dropped).toHaveLength(2);
    expect(stdout).toContain(`changed 10 orders in the stand-in, pushed 8, dropped 2: ${dropped.sort().join(" ")}`);
  });

  it("refuses an unknown scheme", async () => {
    await expect(simulate(["--scheme", "rsa"])).rejects.toMatchObject({ code: 2 });
  });
});

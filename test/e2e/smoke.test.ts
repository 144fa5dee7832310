import { expect, inject, it } from "vitest";
import { E2E_VARS } from "./config";

it("the local worker started like npm start answers /health", async () => {
  const res = await fetch(`${inject("workerUrl")}/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: "ok" });
});

it("runs with the e2e config's vars alone: forwarding stays off whatever a .dev.vars turns on", async () => {
  // `.ci/run` writes a .dev.vars with FORWARD_URL and FORWARD_SECRET before `npm test`.
  const headers = { authorization: `Bearer ${E2E_VARS.ADMIN_API_TOKENS}` };
  // FORWARD_URL's destination is listed only while FORWARD_URL is set (other e2e files may make
  // destinations of their own on this shared worker), and no delivery goes to it.
  const destinations = await fetch(`${inject("workerUrl")}/api/destinations`, { headers });
  expect(destinations.status).toBe(200);
  const { destinations: listed } = (await destinations.json()) as { destinations: { id: string }[] };
  expect(listed.map((d) => d.id)).not.toContain("default");
  const deliveries = await fetch(`${inject("workerUrl")}/api/deliveries?destination_id=default&limit=1`, { headers });
  expect(await deliveries.json()).toMatchObject({ deliveries: [] });
});

import { expect, inject, it } from "vitest";
import { E2E_VARS } from "./config";

it("the local worker started like npm start answers /health", async () => {
  const res = await fetch(`${inject("workerUrl")}/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: "ok" });
});

it("runs with the e2e config's vars alone: forwarding stays off whatever a .dev.vars turns on", async () => {
  // `.ci/run` writes a .dev.vars with FORWARD_URL and FORWARD_SECRET before `npm test`.
  const res = await fetch(`${inject("workerUrl")}/api/deliveries/01JAAAAAAAAAAAAAAAAAAAAAAA/retry`, {
    method: "POST",
    headers: { authorization: `Bearer ${E2E_VARS.ADMIN_API_TOKENS}` },
  });
  expect(res.status).toBe(409);
  expect(await res.json()).toMatchObject({ error: "forwarding_off" });
});

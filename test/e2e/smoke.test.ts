import { expect, inject, it } from "vitest";

it("the local worker started like npm start answers /health", async () => {
  const res = await fetch(`${inject("workerUrl")}/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: "ok" });
});

/**
 * The bench's pushes against the worker started like `npm start`: signed so that its signature
 * check accepts them, and a second source with the same run id sends the same pushes again, which
 * the bench's duplicate figures rely on.
 */
import { expect, inject, it } from "vitest";
import { createPushSource } from "../../scripts/bench/pushes.ts";
import { E2E_VARS } from "./config";

function pushes(runId: string) {
  return createPushSource({
    runId,
    secret: E2E_VARS.OMISELL_PUSH_SECRET,
    callbackUrl: `${inject("workerUrl")}/webhooks/omisell`,
    payloadBytes: 1024,
    prefill: 2,
  });
}

async function send(push: { body: Buffer; authorization: string }) {
  const res = await fetch(`${inject("workerUrl")}/webhooks/omisell`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: push.authorization },
    body: new Uint8Array(push.body),
  });
  await res.arrayBuffer();
  return { status: res.status, pushStatus: res.headers.get("push-status") };
}

it("bench pushes are signed so that the worker's signature check accepts them", async () => {
  expect(await send(pushes(`sig${Date.now()}`).next())).toEqual({ status: 200, pushStatus: "accepted" });
});

it("a second bench source with the same run id sends duplicates of the first one's pushes", async () => {
  const runId = `dup${Date.now()}`;
  const first = pushes(runId);
  const again = pushes(runId);
  expect(await send(first.next())).toEqual({ status: 200, pushStatus: "accepted" });
  expect(await send(again.next())).toEqual({ status: 200, pushStatus: "duplicate" });
});

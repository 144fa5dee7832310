import { describe, expect, it } from "vitest";
import { countEvents, eventRow, samplePush, sendPush } from "./helpers/push";

describe("POST /webhooks/omisell", () => {
  it("accepts a signed push once, with an empty body and its event id", async () => {
    const push = samplePush("order.shipped");
    const res = await sendPush(push);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect(res.headers.get("Push-Status")).toBe("accepted");
    const id = res.headers.get("Push-Event-Id");
    expect(id).toMatch(/^[0-9A-Z]{26}$/);
    const row = await eventRow(id as string);
    expect(row).toMatchObject({
      request_id: push.request_id,
      event: "order.shipped",
      category: "order",
      status: "received",
      signature_valid: 1,
    });
  });
});

/**
 * Forwarding settings: parsed apart from the rest, so a bad FORWARD_URL or FORWARD_SECRET turns
 * forwarding off with a log line and stops nothing else (pushes, follow-ups, other config).
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readConfig } from "../src/config";
import { setLogLevel } from "../src/lib/log";
import { signPush } from "../src/push/signature";
import { deliver, insertReceivedEvent, orderAnswer, readEvent, stubOmisell } from "./helpers/followup";
import { forwardEnv, insertSettledEvent, recordingQueue, TEST_FORWARD_SECRET, walk } from "./helpers/forward";
import { CALLBACK_URL, fetchWithEnv, PUSH_SECRET, samplePush, toBytes } from "./helpers/push";

afterEach(() => {
  vi.restoreAllMocks();
  setLogLevel("silent");
});

/** The forwarding section of the configuration of `vars`. */
const forwardingOf = (vars: Record<string, string>) => readConfig(vars).forward;

/** Captures the worker's error log lines, parsed. */
function captureErrorLogs() {
  setLogLevel("debug");
  const spy = vi.spyOn(console, "error").mockImplementation(() => undefined);
  return () => spy.mock.calls.map((call) => JSON.parse(String(call[0])) as Record<string, unknown>);
}

const GOOD = { FORWARD_URL: "https://example.com/hooks/omisell", FORWARD_SECRET: TEST_FORWARD_SECRET };

describe("forwarding settings", () => {
  it("are off when FORWARD_URL is not set", () => {
    const logs = captureErrorLogs();
    expect(forwardingOf({}).destination).toBeNull();
    expect(logs()).toEqual([]);
  });

  it("hand out the URL, the key bytes and a 10-second timeout by default", () => {
    const config = forwardingOf({ ...GOOD });
    expect(config.destination?.url).toBe(GOOD.FORWARD_URL);
    expect(config.destination?.key).toHaveLength(32);
    expect(config.timeoutMs).toBe(10_000);
  });

  it("take the timeout from FORWARD_TIMEOUT_MS", () => {
    expect(forwardingOf({ ...GOOD, FORWARD_TIMEOUT_MS: "2500" }).timeoutMs).toBe(2500);
  });

  it.each([
    ["not a URL", "not a url"],
    ["a relative path", "/hooks/omisell"],
    ["another scheme", "ftp://example.com/hooks"],
  ])("refuse a FORWARD_URL that is %s, with a log line, and turn forwarding off", (_case, url) => {
    const logs = captureErrorLogs();
    expect(forwardingOf({ ...GOOD, FORWARD_URL: url }).destination).toBeNull();
    expect(logs()).toEqual([
      expect.objectContaining({
        msg: "forward_config_invalid",
        forwarding: "off",
        fields: { FORWARD_URL: expect.any(String) },
      }),
    ]);
  });

  it("refuse a FORWARD_SECRET that is not whsec_ + base64, without logging its value", () => {
    const logs = captureErrorLogs();
    const secret = "whsec_c2hvcnQ=";
    expect(forwardingOf({ ...GOOD, FORWARD_SECRET: secret }).destination).toBeNull();
    expect(logs()).toEqual([expect.objectContaining({ fields: { FORWARD_SECRET: expect.any(String) } })]);
    expect(JSON.stringify(logs())).not.toContain("c2hvcnQ");
  });

  it("refuse a FORWARD_URL without a FORWARD_SECRET", () => {
    const logs = captureErrorLogs();
    expect(forwardingOf({ FORWARD_URL: GOOD.FORWARD_URL }).destination).toBeNull();
    expect(logs()).toEqual([expect.objectContaining({ fields: { FORWARD_SECRET: expect.any(String) } })]);
  });

  it("refuse a FORWARD_TIMEOUT_MS that is not a number of milliseconds", () => {
    expect(forwardingOf({ ...GOOD, FORWARD_TIMEOUT_MS: "soon" }).destination).toBeNull();
  });

  it("log a refusal once per configuration, not at every call", () => {
    const logs = captureErrorLogs();
    const bad = { ...GOOD, FORWARD_URL: "nope" };
    readConfig(bad);
    readConfig(bad);
    expect(logs()).toHaveLength(1);
  });
});

describe("a bad forwarding setting", () => {
  const BAD = { FORWARD_URL: "not a url", FORWARD_SECRET: "plain-text-secret" };

  it("does not make the rest of the configuration unreadable", () => {
    const config = readConfig({ ...env, ...BAD });
    expect(() => [config.push, config.api, config.omisell, config.followup, config.retention]).not.toThrow();
    expect(config.forward.destination).toBeNull();
  });

  it("still lets pushes be accepted", async () => {
    const bytes = toBytes(samplePush());
    const authorization = await signPush(PUSH_SECRET, CALLBACK_URL, bytes);
    const res = await fetchWithEnv(
      new Request(CALLBACK_URL, { method: "POST", headers: { authorization }, body: bytes }),
      BAD,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("Push-Status")).toBe("accepted");
  });

  it("still lets follow-ups settle events", async () => {
    const id = await insertReceivedEvent();
    stubOmisell((call) => orderAnswer(decodeURIComponent(call.url.split("/").at(-1) ?? "")));
    await deliver([{ eventId: id }], "omisell-followups", BAD);
    expect((await readEvent(id))?.status).toBe("processed");
  });

  it("makes the walk create and send nothing for FORWARD_URL's destination", async () => {
    const eventId = await insertSettledEvent();
    const { queue, sent } = recordingQueue();
    expect(await walk(forwardEnv(BAD, queue))).toBe(0);
    expect(sent).toEqual([]);
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE event_id = ?1")
      .bind(eventId)
      .first<{ n: number }>();
    expect(row?.n).toBe(0);
  });
});

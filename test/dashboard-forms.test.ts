/**
 * Dashboard form bodies: read within 16 KiB before anything is parsed (the sign-in's token check
 * comes after the cap), and a body that cannot be parsed is a 400, never a 500, on every
 * dashboard POST, sign-in included.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_FORM_BYTES } from "../src/dashboard/form";
import { ADMIN_TOKEN, BASE, storeEvent } from "./helpers/read-api";
import { csrfOf, sessionCookie, sessionValueOf } from "./helpers/session";

async function postForm(
  path: string,
  body: BodyInit,
  contentType: string | null,
  options: { signedIn?: boolean; address?: string } = {},
) {
  const headers = new Headers({ origin: BASE, "cf-connecting-ip": options.address ?? "203.0.113.77" });
  if (contentType) headers.set("content-type", contentType);
  if (options.signedIn) headers.set("cookie", await sessionCookie(ADMIN_TOKEN));
  return exports.default.fetch(new Request(`${BASE}${path}`, { method: "POST", headers, body, redirect: "manual" }));
}

/** Every dashboard POST: sign-in without a session, the others as a signed-in admin. */
async function formPosts(): Promise<{ path: string; signedIn: boolean }[]> {
  const event = await storeEvent({ status: "failed" });
  return [
    { path: "/dashboard/sign-in", signedIn: false },
    { path: "/dashboard/sign-out", signedIn: true },
    { path: `/dashboard/events/${event.id}/replay`, signedIn: true },
    { path: "/dashboard/replays", signedIn: true },
  ];
}

const MALFORMED: [string, string, string][] = [
  [
    "a multipart body whose boundary never comes",
    "--not-the-boundary\r\ngarbage without headers",
    "multipart/form-data; boundary=xyz",
  ],
  [
    "a multipart body without a boundary",
    '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
    "multipart/form-data",
  ],
  ["an urlencoded body with a broken escape", "token=%zz&csrf=%E0%A4%A", "application/x-www-form-urlencoded"],
  ["an urlencoded body that is not UTF-8", "token=\u00ff", "application/x-www-form-urlencoded; charset=latin1"],
  ["a body that is not a form at all", '{"token":"x"}', "application/json"],
];

describe("malformed form bodies", () => {
  it("answers a sign-in with a malformed multipart body 400, not 500", async () => {
    const res = await postForm(
      "/dashboard/sign-in",
      "--not-the-boundary\r\ngarbage without headers",
      "multipart/form-data; boundary=xyz",
    );
    expect(res.status).toBe(400);
  });

  it.each(MALFORMED)("answers %s with 400 invalid_form on every dashboard POST", async (_name, body, type) => {
    const bytes = type.includes("latin1") ? new Uint8Array([0x74, 0x3d, 0xff]) : body;
    for (const post of await formPosts()) {
      const res = await postForm(post.path, bytes, type, { signedIn: post.signedIn });
      expect(res.status, post.path).toBe(400);
      expect(await res.json(), post.path).toMatchObject({ error: "invalid_form" });
    }
  });

  it("still reads a well-formed multipart sign-in", async () => {
    const form = new FormData();
    form.set("token", ADMIN_TOKEN);
    const res = await exports.default.fetch(
      new Request(`${BASE}/dashboard/sign-in`, {
        method: "POST",
        headers: { origin: BASE },
        body: form,
        redirect: "manual",
      }),
    );
    expect(res.status).toBe(303);
    expect(sessionValueOf(res)).not.toBeNull();
  });

  it("reads a well-formed urlencoded form with escapes and plus signs", async () => {
    const event = await storeEvent({ status: "failed" });
    const csrf = await csrfOf(ADMIN_TOKEN);
    const body = `note=a+b%20c&csrf=${csrf}`;
    const res = await postForm(`/dashboard/events/${event.id}/replay`, body, "application/x-www-form-urlencoded", {
      signedIn: true,
    });
    expect(res.status).toBe(303);
  });
});

describe("form bodies are capped at 16 KiB before parsing", () => {
  it("answers a 17 KiB form 413 on every dashboard POST, never 500", async () => {
    const big = `token=${ADMIN_TOKEN}&pad=${"x".repeat(17 * 1024)}`;
    for (const post of await formPosts()) {
      const res = await postForm(post.path, big, "application/x-www-form-urlencoded", { signedIn: post.signedIn });
      expect(res.status, post.path).toBe(413);
      expect(res.headers.get("set-cookie"), post.path).toBeNull();
    }
  });

  it("checks the sign-in token only after the cap: a right token in a body past the cap signs nobody in", async () => {
    const body = new FormData();
    body.set("token", ADMIN_TOKEN);
    body.set("pad", "y".repeat(MAX_FORM_BYTES));
    const res = await exports.default.fetch(
      new Request(`${BASE}/dashboard/sign-in`, { method: "POST", headers: { origin: BASE }, body, redirect: "manual" }),
    );
    expect(res.status).toBe(413);
    expect(sessionValueOf(res)).toBeNull();
  });

  it("stops reading a streamed body without Content-Length soon after 16 KiB", async () => {
    let pulled = 0;
    const chunk = new TextEncoder().encode(`token=${"z".repeat(1018)}`);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += chunk.byteLength;
        if (pulled > 8 * 1024 * 1024) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await postForm("/dashboard/sign-in", endless, "application/x-www-form-urlencoded");
    expect(res.status).toBe(413);
    // What the stream hands over in flight (a few chunks per read), far from the 8 MiB it holds.
    expect(pulled).toBeLessThan(256 * 1024);
  });

  it("takes a form of exactly 16 KiB", async () => {
    const prefix = `token=${ADMIN_TOKEN}&pad=`;
    const body = prefix + "p".repeat(MAX_FORM_BYTES - prefix.length);
    const res = await postForm("/dashboard/sign-in", body, "application/x-www-form-urlencoded");
    expect(res.status).toBe(303);
  });
});

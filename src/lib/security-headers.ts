/** The browser-facing security headers of the HTML the worker serves (the dashboard, /docs). */
import { createMiddleware } from "hono/factory";

export type SecurityHeaderOptions = {
  /** The Content-Security-Policy of these pages. */
  csp: string;
  /** Referrer-Policy; "same-origin" unless the pages should send none at all. */
  referrerPolicy?: "same-origin" | "no-referrer";
  /** Cache-Control for answers whose handler set none (pages that show order data: "no-store"). */
  defaultCacheControl?: string;
};

/**
 * Middleware setting the page's CSP, no framing, no MIME sniffing, a referrer policy, no powerful
 * features, and an own browsing context group. Set after the handler, so they are on every
 * answer, errors too.
 */
export function securityHeaders({ csp, referrerPolicy = "same-origin", defaultCacheControl }: SecurityHeaderOptions) {
  return createMiddleware(async (c, next) => {
    await next();
    c.header("Content-Security-Policy", csp);
    c.header("X-Frame-Options", "DENY");
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", referrerPolicy);
    c.header("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
    c.header("Cross-Origin-Opener-Policy", "same-origin");
    if (defaultCacheControl && !c.res.headers.get("Cache-Control")) c.header("Cache-Control", defaultCacheControl);
  });
}

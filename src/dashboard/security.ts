/**
 * Headers on every dashboard answer: a CSP that allows no script at all and styles only from
 * the worker, no framing, no MIME sniffing, no referrer leaving the site, no caching of pages
 * that show order data.
 */
import { createMiddleware } from "hono/factory";

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export const dashboardSecurityHeaders = createMiddleware(async (c, next) => {
  await next();
  c.header("Content-Security-Policy", DASHBOARD_CSP);
  c.header("X-Frame-Options", "DENY");
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "same-origin");
  c.header("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
  c.header("Cross-Origin-Opener-Policy", "same-origin");
  if (!c.res.headers.get("Cache-Control")) c.header("Cache-Control", "no-store");
});

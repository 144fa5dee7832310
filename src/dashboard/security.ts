/**
 * Headers on every dashboard answer: a CSP that allows no script at all and styles only from
 * the worker, no framing, no MIME sniffing, no referrer leaving the site, no caching of pages
 * that show order data.
 */
import { securityHeaders } from "../lib/security-headers";

const DASHBOARD_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export const dashboardSecurityHeaders = securityHeaders({ csp: DASHBOARD_CSP, defaultCacheControl: "no-store" });

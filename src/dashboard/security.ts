/** The security headers of every dashboard answer. */
import { securityHeaders } from "../lib/security-headers";

const DASHBOARD_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/**
 * A CSP that allows no script at all and styles only from the worker; no framing, no MIME
 * sniffing, no referrer leaving the site, and no caching of pages that show order data.
 */
export const dashboardSecurityHeaders = securityHeaders({ csp: DASHBOARD_CSP, defaultCacheControl: "no-store" });

/**
 * The base URL of a worker from what a user may paste: the base itself, or the callback URL
 * (…/webhooks/omisell), with or without a trailing slash.
 */
export function workerBase(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = parsed.pathname.replace(/\/+$/, "").replace(/\/webhooks\/omisell$/, "");
  parsed.search = "";
  parsed.hash = "";
  return parsed.toString().replace(/\/+$/, "");
}

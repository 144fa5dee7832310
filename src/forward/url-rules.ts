/** Which URLs a destination may have. Pure. */

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1"]);

/**
 * What is wrong with `text` as a destination URL, or null when it will do: it must parse, carry no
 * credentials (they would sit in D1 and in every list), and be `https://`; `http://` only to
 * localhost or 127.0.0.1 (a local receiver), or to any host when `allowHttp`
 * (ALLOW_HTTP_DESTINATIONS, for development).
 * @example destinationUrlProblem("http://erp.example/hook", false) // "http:// only to localhost …"
 */
export function destinationUrlProblem(text: string, allowHttp: boolean): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "not an absolute URL";
  }
  if (url.username !== "" || url.password !== "") return "must not carry credentials (user:password@)";
  if (url.protocol === "https:") return null;
  if (url.protocol !== "http:") return "must be https://";
  if (allowHttp || LOOPBACK_HOSTS.has(url.hostname)) return null;
  return "http:// only to localhost or 127.0.0.1 (ALLOW_HTTP_DESTINATIONS=true allows any host)";
}

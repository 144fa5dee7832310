/**
 * Who a bearer token belongs to: `admin` (read and replay), `read`, or nobody. Tokens are
 * compared as SHA-256 digests with `timingSafeEqual`, so neither a token's content nor its
 * length leaks through response time, and every configured token is always compared.
 */
import type { Config } from "../config";
import { sha256 } from "../lib/crypto";

export type Role = "read" | "admin";

/** True when `candidate` equals one of `allowed`; runs over the whole list whatever matches. */
export async function matchesAnyToken(candidate: string, allowed: readonly string[]): Promise<boolean> {
  const probe = await sha256(candidate);
  let found = false;
  for (const token of allowed) {
    if (crypto.subtle.timingSafeEqual(probe, await sha256(token))) found = true;
  }
  return found;
}

export async function roleOfToken(
  config: Pick<Config, "READ_API_TOKENS" | "ADMIN_API_TOKENS">,
  token: string | null | undefined,
): Promise<Role | null> {
  if (!token) return null;
  // Both lists are checked every time so the answer time does not say which list matched.
  const [admin, read] = await Promise.all([
    matchesAnyToken(token, config.ADMIN_API_TOKENS),
    matchesAnyToken(token, config.READ_API_TOKENS),
  ]);
  if (admin) return "admin";
  if (read) return "read";
  return null;
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | null | undefined): string | null {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}

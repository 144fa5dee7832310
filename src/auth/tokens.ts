/** Who a bearer token belongs to: `admin` (read and replay), `read`, or nobody. */
import type { ApiConfig } from "../config";
import { equalsOneOf } from "../lib/crypto";

export type Role = "read" | "admin";

/**
 * The role of `token`, compared in constant time (`equalsOneOf`). Both lists are checked every
 * time, so the answer time does not say which list matched.
 */
export async function roleOfToken(
  config: Pick<ApiConfig, "readTokens" | "adminTokens">,
  token: string | null | undefined,
): Promise<Role | null> {
  if (!token) return null;
  const [admin, read] = await Promise.all([
    equalsOneOf(token, config.adminTokens),
    equalsOneOf(token, config.readTokens),
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

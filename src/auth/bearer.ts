/** Bearer-token middleware for the read API. */
import { createMiddleware } from "hono/factory";
import { readConfig } from "../config";
import { HttpError } from "../errors";
import { bearerToken, type Role, roleOfToken } from "./tokens";

export type AuthVariables = { role: Role };

/** 401 `unauthorized` without a valid read or admin token; the role is kept for `requireAdmin`. */
export const requireToken = createMiddleware<{ Bindings: Env; Variables: AuthVariables }>(async (c, next) => {
  const role = await roleOfToken(readConfig(c.env).api, bearerToken(c.req.header("authorization")));
  if (!role) {
    throw new HttpError(401, "unauthorized", undefined, {
      headers: { "WWW-Authenticate": 'Bearer realm="omisell-push"' },
    });
  }
  c.set("role", role);
  await next();
});

/** 403 `forbidden` to a read token on an admin action. */
export const requireAdmin = createMiddleware<{ Bindings: Env; Variables: AuthVariables }>(async (c, next) => {
  if (c.get("role") !== "admin") throw new HttpError(403, "forbidden", "this action needs an admin token");
  await next();
});

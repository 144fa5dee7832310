/** The zod fields vars are read with (lists, numbers, flags, secrets), shared by every config section. */
import { z } from "zod";
import { decodeWebhookSecret } from "./webhook-secret";

/** A comma-separated list, trimmed, empty items dropped; [] when unset. */
export const list = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

/** A whole number from `min` to `max`, `fallback` when unset. */
export const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).optional().default(fallback);

/** Trimmed text; undefined when unset or blank. */
export const optionalText = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value.trim() : undefined));

/** `true` or `false` (also `1`/`0`, `yes`/`no`), any case; `fallback` when unset. */
export const flag = (fallback: boolean) =>
  optionalText.pipe(
    z
      .enum(["true", "false", "1", "0", "yes", "no", "TRUE", "FALSE", "True", "False"])
      .optional()
      .transform((value) => (value === undefined ? fallback : ["true", "1", "yes"].includes(value.toLowerCase()))),
  );

/** A Standard Webhooks secret (`whsec_` + base64 of at least 24 bytes), handed out as its key bytes. */
export const webhookKey = optionalText.transform((value, ctx) => {
  if (value === undefined) return undefined;
  const key = decodeWebhookSecret(value);
  if (!key) ctx.addIssue({ code: "custom", message: "must be whsec_ + the base64 of at least 24 bytes" });
  return key ?? undefined;
});

/**
 * The dashboard's form bodies: read within 16 KiB before anything is parsed, then parsed here, so
 * no body is buffered past the cap and no malformed one can answer 500.
 */
import { HttpError } from "../errors";
import { BodyTooLarge, readBodyLimited } from "../lib/body";

/** A form is a token, a CSRF token and a few fields: far less than this. */
export const MAX_FORM_BYTES = 16 * 1024;

/** A form's text fields, each the first value given under its name (files are ignored). */
export type FormFields = Record<string, string>;

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * `name=value&…` strictly: the body and every decoded name and value must be UTF-8, and every `%`
 * must start an escape (`%41`). Null when one is not, where URLSearchParams would guess instead.
 */
function parseUrlEncoded(bytes: Uint8Array): FormFields | null {
  try {
    const pairs: [string, string][] = [];
    for (const part of strict.decode(bytes).split("&")) {
      if (part === "") continue;
      const at = part.indexOf("=");
      const [name, value] = at < 0 ? [part, ""] : [part.slice(0, at), part.slice(at + 1)];
      pairs.push([decodeComponent(name), decodeComponent(value)]);
    }
    return firstValues(pairs);
  } catch {
    return null;
  }
}

/** A form component: `+` is a space, `%XX` escapes; throws on a bad escape or invalid UTF-8. */
function decodeComponent(text: string): string {
  return decodeURIComponent(text.replaceAll("+", " "));
}

function mediaType(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

function firstValues(entries: Iterable<[string, File | string]>): FormFields {
  const fields: FormFields = {};
  for (const [name, value] of entries) if (typeof value === "string" && !(name in fields)) fields[name] = value;
  return fields;
}

const parsedForms = new WeakMap<Request, Promise<FormFields>>();

/**
 * The fields of a dashboard form post, read once per request (the CSRF check and the handler
 * share them). Throws `HttpError` 413 `payload_too_large` past
 * MAX_FORM_BYTES (read no further), and 400 `invalid_form` for a body that cannot be read or
 * parsed (bad multipart, a content type that is not a form). An empty body is a form without
 * fields.
 */
export function readForm(request: Request): Promise<FormFields> {
  let parsed = parsedForms.get(request);
  if (!parsed) {
    parsed = parseForm(request);
    parsedForms.set(request, parsed);
  }
  return parsed;
}

async function parseForm(request: Request): Promise<FormFields> {
  let bytes: Uint8Array;
  try {
    bytes = await readBodyLimited(request, MAX_FORM_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      throw new HttpError(413, "payload_too_large", `a form is at most ${MAX_FORM_BYTES} bytes`, { cause: err });
    }
    throw new HttpError(400, "invalid_form", "the form could not be read", { cause: err });
  }
  const type = mediaType(request);
  if (type === "application/x-www-form-urlencoded" || (type === "" && bytes.byteLength === 0)) {
    const fields = parseUrlEncoded(bytes);
    if (!fields) throw new HttpError(400, "invalid_form", "the form is not valid application/x-www-form-urlencoded");
    return fields;
  }
  if (type === "multipart/form-data") {
    try {
      const contentType = request.headers.get("content-type") ?? type;
      return firstValues(await new Response(bytes, { headers: { "content-type": contentType } }).formData());
    } catch (err) {
      throw new HttpError(400, "invalid_form", "the multipart form could not be parsed", { cause: err });
    }
  }
  throw new HttpError(400, "invalid_form", "send the form as application/x-www-form-urlencoded or multipart/form-data");
}

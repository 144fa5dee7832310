/**
 * /dashboard/destinations: the page for everyone, and the forms of admins (create, edit, pause,
 * resume, rotate, test, retry failed, delete), calling the same actions as the API.
 */
import { Hono } from "hono";
import { readConfig } from "../config";
import { fieldErrors, HttpError } from "../errors";
import { liveForwardDeps } from "../forward/deps";
import { DestinationCreate, DestinationPatch } from "../forward/destination-input";
import {
  type AdminDeps,
  changeDestination,
  createDestination,
  pause,
  remove,
  resume,
  retryFailed,
  rotateSecret,
  testDestination,
} from "../forward/destinations";
import { readAlertPage } from "../read-model/alerts";
import { type Destination, DestinationIdParam, readDestination, readDestinations } from "../read-model/destinations";
import {
  DestinationEditPage,
  type DestinationFormValues,
  type DestinationsNotice,
  DestinationsPage,
} from "./destinations";
import { readForm } from "./form";
import { type Ctx, type DashboardEnv, type PageStatus, refuseUnlessAdminPost, render } from "./kit";
import { MessagePage } from "./pages";

export const destinationPages = new Hono<DashboardEnv>();

const FORM_FIELDS = [
  "name",
  "url",
  "format",
  "events",
  "categories",
  "statuses",
  "seller_ids",
  "rate_per_minute",
  "start",
] as const;

function adminDeps(env: Env): AdminDeps {
  return { ...liveForwardDeps(env), allowHttp: readConfig(env).destinations.allowHttp };
}

async function showPage(
  c: Ctx,
  notice: DestinationsNotice = {},
  values: DestinationFormValues = {},
  status: PageStatus = 200,
) {
  const now = Date.now();
  const [destinations, alerts] = await Promise.all([readDestinations(c.env, now), readAlertPage(c.env, { limit: 20 })]);
  const page = (
    <DestinationsPage viewer={c.get("viewer")} {...{ destinations, now, notice, values }} alerts={alerts.alerts} />
  );
  return render(c, page, status);
}

/** The form's fields as typed (kept to show again after an error). */
async function formValues(c: Ctx): Promise<DestinationFormValues> {
  const form = await readForm(c.req.raw);
  return Object.fromEntries(
    FORM_FIELDS.flatMap((name) => {
      const value = form[name];
      return typeof value === "string" ? [[name, value.trim()]] : [];
    }),
  );
}

const listOf = (text: string | undefined) =>
  text
    ? text
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item.length > 0)
    : undefined;

/** The JSON body the API would get for these fields: an empty list field is no filter part, an empty cap none. */
function bodyOf(values: DestinationFormValues, creating: boolean): Record<string, unknown> {
  const filter = Object.fromEntries(
    (["events", "categories", "statuses", "seller_ids"] as const).flatMap((part) => {
      const items = listOf(values[part]);
      return items ? [[part, items]] : [];
    }),
  );
  const rate = values.rate_per_minute;
  const start = values.start;
  return {
    name: values.name,
    url: values.url,
    format: values.format || "envelope",
    filter,
    rate_per_minute: !rate || rate === "none" ? (creating ? undefined : null) : Number(rate),
    ...(creating && start && start !== "now" ? { start: Number(start) } : {}),
  };
}

/** Admin form posts only: same origin, the CSRF token, an admin session; else the refusal page. */
const refusal = (c: Ctx) => refuseUnlessAdminPost(c, "Not done", "Changing destinations");

/** An action's HttpError as the page shows it (the rest is thrown on). */
function noticeOf(err: unknown): { notice: DestinationsNotice; status: PageStatus } {
  if (!(err instanceof HttpError)) throw err;
  const fields = err.extra.fields;
  const error = fields
    ? `Not saved: ${Object.entries(fields)
        .map(([field, problem]) => `${field}: ${problem}`)
        .join("; ")}`
    : err.message;
  const status = [400, 404, 409].includes(err.status) ? (err.status as PageStatus) : 400;
  return { notice: { error, ...(fields ? { fields } : {}) }, status };
}

destinationPages.get("/dashboard/destinations", (c) => showPage(c));

destinationPages.post("/dashboard/destinations", async (c) => {
  const refused = await refusal(c);
  if (refused) return refused;
  const values = await formValues(c);
  const parsed = DestinationCreate.safeParse(bodyOf(values, true));
  if (!parsed.success) {
    const fields = fieldErrors(parsed.error);
    return showPage(c, { error: "Not created: see the fields below.", fields }, values, 400);
  }
  try {
    const created = await createDestination(adminDeps(c.env), parsed.data);
    const warnings = created.warnings.length > 0 ? ` Warnings: ${created.warnings.join("; ")}` : "";
    return showPage(c, {
      ok: `Created ${created.row.name}.${warnings}`,
      secret: { destination: created.row.name, value: created.secret },
    });
  } catch (err) {
    const { notice, status } = noticeOf(err);
    return showPage(c, notice, values, status);
  }
});

async function destinationOr404(c: Ctx): Promise<Destination | Response> {
  const id = DestinationIdParam.safeParse({ id: c.req.param("id") });
  const found = id.success ? await readDestination(c.env, id.data.id, Date.now()) : null;
  if (found) return found;
  return render(
    c,
    <MessagePage
      title="No such destination"
      message="There is no destination with this id."
      viewer={c.get("viewer")}
    />,
    404,
  );
}

function valuesOf(d: Destination): DestinationFormValues {
  return {
    name: d.name,
    url: d.url,
    format: d.format,
    events: d.filter.events?.join(", ") ?? "",
    categories: d.filter.categories?.join(", ") ?? "",
    statuses: d.filter.statuses?.join(", ") ?? "",
    seller_ids: d.filter.seller_ids?.join(", ") ?? "",
    rate_per_minute: d.rate_per_minute ? String(d.rate_per_minute) : "",
  };
}

destinationPages.get("/dashboard/destinations/:id", async (c) => {
  const found = await destinationOr404(c);
  if (found instanceof Response) return found;
  return render(c, <DestinationEditPage viewer={c.get("viewer")} destination={found} values={valuesOf(found)} />);
});

destinationPages.post("/dashboard/destinations/:id", async (c) => {
  const refused = await refusal(c);
  if (refused) return refused;
  const found = await destinationOr404(c);
  if (found instanceof Response) return found;
  const values = await formValues(c);
  const parsed = DestinationPatch.safeParse(bodyOf(values, false));
  const again = (error: string, fields: Record<string, string> | undefined, status: PageStatus) =>
    render(
      c,
      <DestinationEditPage viewer={c.get("viewer")} destination={found} {...{ values, error, fields }} />,
      status,
    );
  if (!parsed.success) return again("Not saved: see the fields below.", fieldErrors(parsed.error), 400);
  try {
    const changed = await changeDestination(adminDeps(c.env), found.id, parsed.data);
    const warnings = changed.warnings.length > 0 ? ` Warnings: ${changed.warnings.join("; ")}` : "";
    return showPage(c, { ok: `Saved ${changed.row.name}.${warnings}` });
  } catch (err) {
    const { notice, status } = noticeOf(err);
    return again(notice.error ?? "Not saved.", notice.fields, status);
  }
});

/** The one-button actions, each answered with the page and what happened. */
const ACTIONS: Record<string, (deps: AdminDeps, d: Destination) => Promise<DestinationsNotice>> = {
  pause: async (deps, d) => {
    await pause(deps, d.id);
    return { ok: `Paused ${d.name}: its cursor stays, nothing is skipped.` };
  },
  resume: async (deps, d) => {
    await resume(deps, d.id);
    return { ok: `Resumed ${d.name} from its cursor.` };
  },
  "retry-failed": async (deps, d) => ({
    ok: `${(await retryFailed(deps, d.id)).queued} failed deliveries of ${d.name} queued again.`,
  }),
  "rotate-secret": async (deps, d) => ({
    ok: `New secret for ${d.name}; the previous one also signs for 24 hours.`,
    secret: { destination: d.name, value: (await rotateSecret(deps, d.id)).secret },
  }),
  test: async (deps, d) => {
    const outcome = await testDestination(deps, d.id);
    const said = `Test of ${d.name}: ${outcome.status_code ?? "no answer"} in ${outcome.latency_ms} ms`;
    return outcome.ok ? { ok: `${said}.` } : { error: `${said}: ${outcome.error ?? "failed"}.` };
  },
  delete: async (deps, d) => ({
    ok: `Deleted ${d.name}; ${(await remove(deps, d.id)).cancelled} pending deliveries cancelled.`,
  }),
};

destinationPages.post("/dashboard/destinations/:id/:action", async (c) => {
  const refused = await refusal(c);
  if (refused) return refused;
  const act = ACTIONS[c.req.param("action")];
  if (!act)
    return render(
      c,
      <MessagePage title="Not found" message="There is no such action." viewer={c.get("viewer")} />,
      404,
    );
  const found = await destinationOr404(c);
  if (found instanceof Response) return found;
  try {
    return showPage(c, await act(adminDeps(c.env), found));
  } catch (err) {
    const { notice, status } = noticeOf(err);
    return showPage(c, notice, {}, status);
  }
});

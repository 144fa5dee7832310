/**
 * What a setup run will do, decided from what wrangler.toml asks for and what the account
 * already has. Pure: the same inventory always gives the same plan, and a plan with nothing to
 * create says so in one line.
 */

import type { Project } from "./project.ts";
import { type AuthMode, GENERATED_SECRETS, omisellSettings, type Setting } from "./secrets.ts";
import { commandLine } from "./wrangler.ts";
import type { D1Database } from "./wrangler-output.ts";

/** What the account has, as the list commands reported it. */
export type Inventory = {
  databases: D1Database[];
  queues: Set<string>;
  /** Names of the Worker's secrets; empty when the Worker does not exist yet. */
  secrets: Set<string>;
  workerExists: boolean;
};

export type DatabaseStep =
  | { action: "create"; name: string }
  | { action: "write-id"; name: string; id: string }
  | { action: "keep"; name: string; id: string };

export type Plan = {
  database: DatabaseStep;
  queuesToCreate: string[];
  queuesKept: string[];
  authMode: AuthMode;
  /** OMISELL_AUTH_MODE is written into wrangler.toml's [vars] (it differs from the file's). */
  authModeChanged: boolean;
  toGenerate: string[];
  toAsk: Setting[];
  secretsKept: string[];
};

/** The configured database id belongs to no database of the logged-in account. */
export class ForeignDatabase extends Error {}

function databaseStep(project: Project, inventory: Inventory): DatabaseStep {
  const { name, id } = project.database;
  if (id) {
    if (inventory.databases.some((db) => db.uuid === id)) return { action: "keep", name, id };
    throw new ForeignDatabase(
      `wrangler.toml's database_id ${id} is not a D1 database of this account. If you changed accounts, ` +
        `put back database_id = "00000000-0000-0000-0000-000000000000" to have setup find or create "${name}"`,
    );
  }
  const existing = inventory.databases.find((db) => db.name === name);
  return existing ? { action: "write-id", name, id: existing.uuid } : { action: "create", name };
}

/** The plan for `project` on an account holding `inventory`, with the Omisell API used in `authMode`. */
export function makePlan(project: Project, inventory: Inventory, authMode: AuthMode): Plan {
  const has = (name: string) => inventory.secrets.has(name);
  const settings = omisellSettings(authMode);
  return {
    database: databaseStep(project, inventory),
    queuesToCreate: project.queues.filter((queue) => !inventory.queues.has(queue)),
    queuesKept: project.queues.filter((queue) => inventory.queues.has(queue)),
    authMode,
    authModeChanged: authMode !== project.authMode,
    toGenerate: GENERATED_SECRETS.filter((name) => !has(name)),
    toAsk: settings.filter((setting) => !has(setting.name)),
    secretsKept: [...GENERATED_SECRETS, ...settings.map((s) => s.name)].filter(has),
  };
}

/** True when the run creates no resource and sets no secret. */
export function createsNothing(plan: Plan): boolean {
  return (
    plan.database.action !== "create" &&
    plan.queuesToCreate.length === 0 &&
    plan.toGenerate.length === 0 &&
    plan.toAsk.length === 0
  );
}

const list = (names: string[]) => names.join(", ");

/** The one line that says what already exists (printed on every run, the whole story on a second one). */
export function existingLine(plan: Plan): string {
  const parts = [
    plan.database.action === "create" ? "" : `D1 database ${plan.database.name}`,
    plan.queuesKept.length ? `queues ${list(plan.queuesKept)}` : "",
    plan.secretsKept.length ? `secrets ${list(plan.secretsKept)}` : "",
  ].filter(Boolean);
  if (!parts.length) return "nothing exists yet: everything below is created";
  const what = `${parts.join("; ")} already exist`;
  return createsNothing(plan) ? `nothing to create: ${what}` : `already there, kept as they are: ${what}`;
}

/** The numbered steps of the plan, as printed before anything runs (and alone with --dry-run). */
export function planSteps(project: Project, plan: Plan): string[] {
  const steps: string[] = [];
  const { database } = plan;
  if (database.action === "create") {
    steps.push(`${commandLine(["d1", "create", database.name])}, then write its id into wrangler.toml`);
  } else if (database.action === "write-id") {
    steps.push(`write the id of the existing D1 database ${database.name} (${database.id}) into wrangler.toml`);
  }
  for (const queue of plan.queuesToCreate) steps.push(commandLine(["queues", "create", queue]));
  if (plan.authModeChanged) steps.push(`set OMISELL_AUTH_MODE = "${plan.authMode}" in wrangler.toml's [vars]`);
  const toSet = [
    ...plan.toGenerate.map((name) => `${name} (generated)`),
    ...plan.toAsk.map((s) => `${s.name} (${s.required ? "asked" : "asked, optional"})`),
  ];
  if (toSet.length) steps.push(`set secrets ${list(toSet)} with wrangler secret bulk <temporary file>`);
  steps.push(commandLine(["d1", "migrations", "apply", project.database.binding, "--remote"]));
  steps.push(commandLine(["deploy"]));
  steps.push("print the callback URL for the Omisell console, then run the doctor");
  return steps.map((step, index) => `  ${index + 1}. ${step}`);
}

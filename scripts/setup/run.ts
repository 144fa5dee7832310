/**
 * The setup run: look (whoami and the list commands, which change nothing), plan, ask, then
 * create what is missing, set secrets, migrate, deploy, and run the doctor. A failing step stops
 * the run with wrangler's error and the command that resumes it; a rerun skips what exists.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runDoctor } from "../doctor/report.ts";
import { BadAuthMode, chooseAuthMode, collectValues, MissingValues, missingUnderYes } from "./answers.ts";
import { existingLine, ForeignDatabase, type Inventory, makePlan, type Plan, planSteps } from "./plan.ts";
import { editConfig, type Project, readProject, withDatabaseId, withVar } from "./project.ts";
import { ask, closePrompts } from "./prompt.ts";
import { allSettings, GENERATED_SECRETS, newToken, SHOWN_TOKENS, withSecretsFile } from "./secrets.ts";
import { commandLine, runWrangler, WranglerFailed } from "./wrangler.ts";
import {
  deployedUrl,
  isWorkerNotFound,
  readDatabases,
  readLogin,
  readQueueNames,
  readSecretNames,
  UnreadableOutput,
} from "./wrangler-output.ts";

export type SetupOptions = {
  cwd: string;
  yes: boolean;
  dryRun: boolean;
  flags: { "auth-mode"?: string; country?: string; "seller-id"?: string; "account-id"?: string };
  skipDoctor: boolean;
  /** How long the doctor waits for the cron's first tick after a deploy. */
  doctorWaitMs: number;
  env: NodeJS.ProcessEnv;
};

/** A reason to stop that is not a wrangler failure (not logged in, several accounts, …). */
class Stop extends Error {}

type Context = { cwd: string; env: NodeJS.ProcessEnv };

const say = (line = "") => console.log(line);

/** The environment wrangler runs with: the user's, minus every value setup may hold a secret in. */
function wranglerEnv(options: SetupOptions): NodeJS.ProcessEnv {
  const env = { ...options.env };
  for (const name of [...allSettings().map((s) => s.name), ...GENERATED_SECRETS]) delete env[name];
  if (options.flags["account-id"]) env.CLOUDFLARE_ACCOUNT_ID = options.flags["account-id"];
  return env;
}

/** `npm run setup` with the flags of this run (none of them holds a secret). */
export function resumeCommand(options: Pick<SetupOptions, "yes" | "flags">): string {
  const flags = [
    ...(options.yes ? ["--yes"] : []),
    ...Object.entries(options.flags).flatMap(([name, value]) => (value ? [`--${name}`, value] : [])),
  ];
  return flags.length ? `npm run setup -- ${flags.join(" ")}` : "npm run setup";
}

async function step(args: string[], context: Context, label = commandLine(args)) {
  say(`→ ${label}`);
  return runWrangler(args, context, { echo: true });
}

async function checkLogin(context: Context, configuredAccount: string | undefined): Promise<void> {
  const who = await runWrangler(["whoami", "--json"], context, { allowFailure: true });
  let login: ReturnType<typeof readLogin>;
  try {
    login = readLogin(who.stdout);
  } catch (err) {
    if (who.code !== 0) throw new WranglerFailed("wrangler whoami --json", `${who.stderr}\n${who.stdout}`.trim());
    throw err;
  }
  if (!login) {
    throw new Stop(
      "not logged in to Cloudflare: run `npx wrangler login` (in CI, set CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID)",
    );
  }
  const names = login.accounts.map((a) => `${a.name} (${a.id})`).join(", ");
  // wrangler itself prefers CLOUDFLARE_ACCOUNT_ID, then account_id of wrangler.toml.
  const chosen = context.env.CLOUDFLARE_ACCOUNT_ID || configuredAccount;
  if (!chosen && login.accounts.length > 1) {
    throw new Stop(`this login can use ${login.accounts.length} accounts: ${names}; choose one with --account-id <id>`);
  }
  const account = chosen ? login.accounts.find((a) => a.id === chosen) : login.accounts[0];
  if (!account) throw new Stop(`account ${chosen} is not one this login can use (${names || "none"})`);
  const byEmail = login.email ? ` as ${login.email}` : "";
  say(`✓ logged in${byEmail}, account ${account.name} (${account.id})`);
}

/** The names of the account's queues, page by page until the wanted ones are all seen or a page is empty. */
async function listQueues(wanted: string[], context: Context): Promise<Set<string>> {
  const found = new Set<string>();
  let previous = "";
  for (let page = 1; page <= 50; page++) {
    const args = page === 1 ? ["queues", "list"] : ["queues", "list", "--page", String(page)];
    const names = readQueueNames((await runWrangler(args, context)).stdout);
    const key = names.join("\n");
    if (names.length === 0 || key === previous) break;
    for (const name of names) found.add(name);
    if (wanted.every((name) => found.has(name))) break;
    previous = key;
  }
  return found;
}

async function takeInventory(project: Project, context: Context): Promise<Inventory> {
  const databases = readDatabases((await runWrangler(["d1", "list", "--json"], context)).stdout);
  const queues = await listQueues(project.queues, context);
  const secretList = await runWrangler(["secret", "list", "--format", "json"], context, { allowFailure: true });
  if (secretList.code !== 0) {
    const output = `${secretList.stderr}\n${secretList.stdout}`.trim();
    if (!isWorkerNotFound(output)) throw new WranglerFailed("wrangler secret list --format json", output);
    return { databases, queues, secrets: new Set(), workerExists: false };
  }
  return { databases, queues, secrets: new Set(readSecretNames(secretList.stdout)), workerExists: true };
}

async function provisionDatabase(project: Project, plan: Plan, context: Context): Promise<void> {
  const { database } = plan;
  if (database.action === "keep") return;
  let id = database.action === "write-id" ? database.id : undefined;
  if (database.action === "create") {
    await step(["d1", "create", database.name], context);
    const listed = readDatabases((await runWrangler(["d1", "list", "--json"], context)).stdout);
    id = listed.find((db) => db.name === database.name)?.uuid;
    if (!id)
      throw new Stop(`\`wrangler d1 create ${database.name}\` succeeded but \`wrangler d1 list\` does not show it`);
  }
  if (!id) return;
  const databaseId = id;
  editConfig(project, (toml) => withDatabaseId(toml, project.database.binding, databaseId));
  say(`✓ wrote database_id = "${databaseId}" into wrangler.toml (commit it)`);
}

async function deploy(context: Context): Promise<string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), "omisell-deploy-"));
  try {
    const outputFile = join(dir, "wrangler-output.ndjson");
    say(`→ ${commandLine(["deploy"])}`);
    const result = await runWrangler(["deploy"], context, {
      echo: true,
      env: { WRANGLER_OUTPUT_FILE_PATH: outputFile },
    });
    let entries = "";
    try {
      entries = readFileSync(outputFile, "utf8");
    } catch {
      // An older wrangler writes no output file; the printed targets are read instead.
    }
    return deployedUrl(entries, result.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The first of a comma-separated list of tokens or secrets. */
const firstOf = (list: string | undefined) =>
  list
    ?.split(",")
    .map((item) => item.trim())
    .find(Boolean);

async function doctor(url: string, secrets: Record<string, string>, options: SetupOptions): Promise<boolean> {
  let adminToken = firstOf(secrets.ADMIN_API_TOKENS) ?? firstOf(options.env.ADMIN_API_TOKENS);
  if (!adminToken && !options.yes && !options.skipDoctor) {
    adminToken = (await ask("An admin token for the doctor (Enter to skip)", { hidden: true })) || undefined;
  }
  if (options.skipDoctor || !adminToken) {
    say(
      `doctor not run${options.skipDoctor ? " (--skip-doctor)" : ": no admin token known to this run (ADMIN_API_TOKENS exists already)"}; ` +
        `run: npm run doctor -- --url ${url} --admin-token <an admin token> --push-secret <the push secret>`,
    );
    return true;
  }
  say(`→ doctor: ${url}`);
  const healthy = await runDoctor(
    {
      base: url,
      adminToken,
      pushSecret: firstOf(secrets.OMISELL_PUSH_SECRET) ?? firstOf(options.env.OMISELL_PUSH_SECRET),
      waitFor: {
        names: ["cron"],
        ms: options.doctorWaitMs,
        everyMs: 15_000,
        onWait: () => say("  waiting for the cron's first tick (it runs every minute)…"),
      },
    },
    (line) => say(`  ${line}`),
  );
  if (!healthy) {
    say(`fix what failed above, then check again: npm run doctor -- --url ${url} --admin-token <an admin token>`);
  }
  return healthy;
}

function printTokens(tokens: Record<string, string>): void {
  const names = Object.keys(tokens);
  if (!names.length) return;
  const width = Math.max(...names.map((name) => name.length));
  say();
  say("Generated tokens, shown this once (Cloudflare keeps secrets unreadable): store them now.");
  for (const name of names) say(`  ${name.padEnd(width)}  ${tokens[name]}`);
}

function failureText(err: unknown, resume: string): string {
  if (err instanceof WranglerFailed) {
    const output = err.output ? `\n${err.output.replace(/^/gm, "    ")}` : "";
    return `✗ ${err.message}${output}\nfix the problem above, then run: ${resume}`;
  }
  if (
    err instanceof Stop ||
    err instanceof MissingValues ||
    err instanceof ForeignDatabase ||
    err instanceof BadAuthMode
  ) {
    return `✗ ${err.message}\nthen run: ${resume}`;
  }
  if (err instanceof UnreadableOutput) return `✗ ${err.message}\nthen run: ${resume}`;
  return `✗ ${(err as Error).stack ?? String(err)}\nthen run: ${resume}`;
}

/** Runs setup; the exit status. */
export async function setup(options: SetupOptions): Promise<number> {
  const context: Context = { cwd: options.cwd, env: wranglerEnv(options) };
  const sources = { yes: options.yes, env: options.env, flags: options.flags };
  const interactive = !options.yes && !options.dryRun;
  const resume = resumeCommand(options);
  const shownTokens: Record<string, string> = {};
  let failure: string | undefined;
  let healthy = true;
  try {
    const project = await readProject(options.cwd);
    await checkLogin(context, project.accountId);
    const inventory = await takeInventory(project, context);
    const mode = await chooseAuthMode(project.authMode, inventory.secrets, sources, interactive);
    const plan = makePlan(project, inventory, mode);

    say(existingLine(plan));
    say(options.dryRun ? "plan (dry run: nothing is changed):" : "plan:");
    for (const line of planSteps(project, plan)) say(line);
    if (options.dryRun) {
      const missing = options.yes ? missingUnderYes(plan.toAsk, sources) : [];
      if (missing.length) throw new MissingValues(missing, true);
      return 0;
    }

    if (interactive && !/^(y|yes|)$/i.test(await ask("Go ahead? [Y/n]"))) {
      say("stopped: nothing was changed");
      return 0;
    }
    const answers = await collectValues(plan.toAsk, sources);
    const generated: Record<string, string> = {};
    for (const name of plan.toGenerate) generated[name] = options.env[name]?.trim() || newToken();

    await provisionDatabase(project, plan, context);
    for (const queue of plan.queuesToCreate) await step(["queues", "create", queue], context);
    if (plan.authModeChanged) {
      editConfig(project, (toml) => withVar(toml, "OMISELL_AUTH_MODE", plan.authMode));
      say(`✓ set OMISELL_AUTH_MODE = "${plan.authMode}" in wrangler.toml (commit it)`);
    }
    const secrets = { ...generated, ...answers };
    if (Object.keys(secrets).length) {
      await withSecretsFile(secrets, (file) =>
        step(["secret", "bulk", file], context, "wrangler secret bulk <temporary file>"),
      );
      for (const name of SHOWN_TOKENS)
        if (generated[name] && !options.env[name]?.trim()) shownTokens[name] = generated[name];
    }
    await step(["d1", "migrations", "apply", project.database.binding, "--remote"], context);
    const url = await deploy(context);
    if (!url) {
      throw new Stop(
        "deployed, but wrangler printed no URL for the worker (workers.dev off?): the callback URL is " +
          "https://<your worker's host>/webhooks/omisell; check it with npm run doctor -- --url <that host> --admin-token <an admin token>",
      );
    }
    say();
    say(`Callback URL for the Omisell console (push settings): ${url}/webhooks/omisell`);
    say();
    healthy = await doctor(url, secrets, options);
  } catch (err) {
    failure = failureText(err, resume);
  } finally {
    closePrompts();
  }
  printTokens(shownTokens);
  if (failure) {
    console.error(failure);
    return 1;
  }
  return healthy ? 0 : 1;
}

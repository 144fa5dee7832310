/**
 * `npm run setup` against a fake wrangler on PATH (fixtures/fake-wrangler.ts, answering as
 * wrangler 4.164 does) and a fake deployed worker for the doctor: run as npm runs it,
 * `node scripts/setup.ts`, in a copy of the project.
 */
import { spawn } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeOmisellPush } from "./fixtures/fake-omisell-push.ts";
import type { FakeAccount, FakeCall } from "./fixtures/fake-wrangler.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const PUSH_SECRET = "push-secret-from-the-omisell-console";
const ACCOUNT_KEY = "omisell-account-key-1234";
const SECRET_ENV = { OMISELL_PUSH_SECRET: PUSH_SECRET, OMISELL_ACCOUNT_KEY: ACCOUNT_KEY };

type Sandbox = Awaited<ReturnType<typeof sandbox>>;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function freshAccount(overrides: Partial<FakeAccount> = {}): FakeAccount {
  return {
    loggedIn: true,
    email: "ops@example.com",
    accounts: [{ id: "acc0123456789", name: "Example Shop" }],
    databases: [],
    queues: [],
    migrations: {},
    worker: null,
    queuePageSize: 20,
    ...overrides,
  };
}

/** A copy of the project (wrangler.toml, migrations), a bin dir with the fake wrangler, its state, a TMPDIR, a fake worker. */
async function sandbox(account: FakeAccount = freshAccount()) {
  const root = mkdtempSync(join(tmpdir(), "omisell-setup-test-"));
  const project = join(root, "project");
  const bin = join(root, "bin");
  const state = join(root, "state");
  const temp = join(root, "tmp");
  for (const dir of [project, bin, state, temp]) mkdirSync(dir);
  cpSync(join(ROOT, "wrangler.toml"), join(project, "wrangler.toml"));
  cpSync(join(ROOT, "migrations"), join(project, "migrations"), { recursive: true });
  const fake = join(ROOT, "test/scripts/fixtures/fake-wrangler.ts");
  writeFileSync(join(bin, "wrangler"), `#!/bin/sh\nexec "${process.execPath}" "${fake}" "$@"\n`);
  chmodSync(join(bin, "wrangler"), 0o755);
  writeFileSync(join(state, "state.json"), JSON.stringify(account));

  const readAccount = () => JSON.parse(readFileSync(join(state, "state.json"), "utf8")) as FakeAccount;
  const worker = await startFakeOmisellPush({
    adminToken: () => readAccount().worker?.secrets.ADMIN_API_TOKENS,
    pushSecret: () => readAccount().worker?.secrets.OMISELL_PUSH_SECRET,
  });
  cleanups.push(() => worker.close());
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  return {
    project,
    temp,
    worker,
    account: readAccount,
    calls: () =>
      existsSync(join(state, "calls.jsonl"))
        ? readFileSync(join(state, "calls.jsonl"), "utf8")
            .trim()
            .split("\n")
            .map((line) => JSON.parse(line) as FakeCall)
        : [],
    config: () => readFileSync(join(project, "wrangler.toml"), "utf8"),
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: root,
      TMPDIR: temp,
      FAKE_WRANGLER_STATE: state,
      FAKE_WRANGLER_DEPLOY_URL: worker.url,
    } as Record<string, string>,
  };
}

type Run = { code: number; stdout: string; stderr: string };

/** `node scripts/setup.ts <args>` in the sandbox's project, as `npm run setup -- <args>` runs it. */
function runSetup(box: Sandbox, args: string[], env: Record<string, string> = {}, input?: string): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, "scripts/setup.ts"), "--doctor-wait", "0", ...args], {
      cwd: box.project,
      env: { ...box.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.stdin.end(input ?? "");
    child.on("close", (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/** The calls as a user would read them, the temporary secrets file's path shown as <file>. */
const commands = (calls: FakeCall[]) =>
  calls.map((call) => (call.bulkFile ? [...call.argv.slice(0, -1), "<file>"] : call.argv).join(" "));

const occurrences = (text: string, value: string) => text.split(value).length - 1;

describe("npm run setup", () => {
  it("takes a fresh account to a running deployment, in order, and runs the doctor", { timeout: 60_000 }, async () => {
    const box = await sandbox();
    const run = await runSetup(box, ["--yes"], SECRET_ENV);

    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("nothing exists yet: everything below is created");
    expect(commands(box.calls())).toEqual([
      "whoami --json",
      "d1 list --json",
      "queues list",
      "secret list --format json",
      "d1 create omisell-push",
      "d1 list --json",
      "queues create omisell-followups",
      "queues create omisell-forwards",
      "queues create omisell-followups-dlq",
      "secret bulk <file>",
      "d1 migrations apply DB --remote",
      "deploy",
    ]);
    const account = box.account();
    const database = account.databases[0];
    expect(box.config()).toContain(`database_id = "${database?.uuid}"`);
    expect(account.queues.map((q) => q.queue_name).sort()).toEqual([
      "omisell-followups",
      "omisell-followups-dlq",
      "omisell-forwards",
    ]);
    expect(Object.keys(account.worker?.secrets ?? {}).sort()).toEqual([
      "ADMIN_API_TOKENS",
      "OMISELL_ACCOUNT_KEY",
      "OMISELL_PUSH_SECRET",
      "READ_API_TOKENS",
      "SESSION_SECRET",
    ]);
    expect(account.worker?.secrets.OMISELL_PUSH_SECRET).toBe(PUSH_SECRET);
    expect(account.worker?.secrets.ADMIN_API_TOKENS).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(account.migrations[database?.uuid ?? ""]?.length).toBe(readdirSync(join(ROOT, "migrations")).length);
    expect(run.stdout).toContain(
      `Callback URL for the Omisell console (push settings): ${box.worker.url}/webhooks/omisell`,
    );
    // The doctor ran with the generated admin token and the push secret: 8 checks and the self-test.
    expect(run.stdout).toContain("✓ cron — cron fine");
    expect(run.stdout).toContain("✓ selftest push stored");
    expect(run.stdout).toContain("✓ selftest duplicate recognised");
    expect(run.stdout).toContain("all 10 checks pass");
    expect(box.worker.pushes.map((p) => p.verified)).toEqual([true, true]);
  });

  it("creates nothing on a second run, keeps every secret and says so", { timeout: 60_000 }, async () => {
    const box = await sandbox();
    expect((await runSetup(box, ["--yes"], SECRET_ENV)).code).toBe(0);
    const before = box.account();
    const firstCalls = box.calls().length;

    const again = await runSetup(box, ["--yes"]);

    expect(again.code).toBe(0);
    expect(commands(box.calls().slice(firstCalls))).toEqual([
      "whoami --json",
      "d1 list --json",
      "queues list",
      "secret list --format json",
      "d1 migrations apply DB --remote",
      "deploy",
    ]);
    expect(again.stdout).toContain(
      "nothing to create: D1 database omisell-push; queues omisell-followups, omisell-forwards, omisell-followups-dlq; " +
        "secrets READ_API_TOKENS, ADMIN_API_TOKENS, SESSION_SECRET, OMISELL_PUSH_SECRET, OMISELL_ACCOUNT_KEY already exist",
    );
    expect(again.stdout).not.toContain("Generated tokens");
    expect(again.stdout).toContain("✅ No migrations to apply!");
    expect(box.account().worker?.secrets).toEqual(before.worker?.secrets);
    expect(box.account().databases).toEqual(before.databases);
    // No admin token is known to this run (the secret cannot be read back): the doctor is left to the user.
    expect(again.stdout).toContain(`doctor not run: no admin token known to this run`);
    expect(again.stdout).toContain(`npm run doctor -- --url ${box.worker.url} --admin-token <an admin token>`);
  });

  it("runs the doctor on a second run with the admin token given in ADMIN_API_TOKENS", {
    timeout: 60_000,
  }, async () => {
    const box = await sandbox();
    await runSetup(box, ["--yes"], SECRET_ENV);
    const adminToken = box.account().worker?.secrets.ADMIN_API_TOKENS ?? "";

    const again = await runSetup(box, ["--yes"], { ADMIN_API_TOKENS: adminToken });

    expect(again.code).toBe(0);
    expect(again.stdout).toContain("all 8 checks pass");
    expect(again.stdout).not.toContain(adminToken);
  });

  it("with --dry-run prints the plan and runs only whoami and the list commands", { timeout: 60_000 }, async () => {
    const box = await sandbox();
    const configBefore = box.config();

    const run = await runSetup(box, ["--dry-run", "--yes"], SECRET_ENV);

    expect(run.code).toBe(0);
    expect(commands(box.calls())).toEqual([
      "whoami --json",
      "d1 list --json",
      "queues list",
      "secret list --format json",
    ]);
    expect(box.account()).toEqual(freshAccount());
    expect(box.config()).toBe(configBefore);
    expect(run.stdout).toContain("plan (dry run: nothing is changed):");
    expect(run.stdout).toContain("1. wrangler d1 create omisell-push, then write its id into wrangler.toml");
    expect(run.stdout).toContain("4. wrangler queues create omisell-followups-dlq");
    expect(run.stdout).toContain(
      "5. set secrets READ_API_TOKENS (generated), ADMIN_API_TOKENS (generated), SESSION_SECRET (generated), " +
        "OMISELL_PUSH_SECRET (asked), OMISELL_ACCOUNT_KEY (asked) with wrangler secret bulk",
    );
    expect(run.stdout).toContain("7. wrangler deploy");
    expect(run.stdout).not.toContain(PUSH_SECRET);
  });

  it("stops at a failing step with wrangler's error and the command that resumes", { timeout: 60_000 }, async () => {
    const box = await sandbox();

    const run = await runSetup(box, ["--yes"], { ...SECRET_ENV, FAKE_WRANGLER_FAIL: "queues create omisell-forwards" });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain("✗ `wrangler queues create omisell-forwards` exited with status 1");
    expect(run.stderr).toContain("Service unavailable: the fake was told to fail [code: 10013]");
    expect(run.stderr).toContain("fix the problem above, then run: npm run setup -- --yes");
    expect(commands(box.calls()).at(-1)).toBe("queues create omisell-forwards");
    expect(commands(box.calls())).not.toContain("deploy");

    // Resuming creates only what is still missing.
    const resumed = await runSetup(box, ["--yes"], SECRET_ENV);
    expect(resumed.code).toBe(0);
    const creates = commands(box.calls()).filter((c) => c.includes("create"));
    expect(creates).toEqual([
      "d1 create omisell-push",
      "queues create omisell-followups",
      "queues create omisell-forwards",
      "queues create omisell-forwards",
      "queues create omisell-followups-dlq",
    ]);
    expect(resumed.stdout).toContain(
      "already there, kept as they are: D1 database omisell-push; queues omisell-followups already exist",
    );
  });

  it("puts no secret on a command line or in its output but the generated tokens, once", {
    timeout: 60_000,
  }, async () => {
    const box = await sandbox();
    const run = await runSetup(box, ["--yes"], SECRET_ENV);
    expect(run.code).toBe(0);
    const secrets = box.account().worker?.secrets ?? {};
    const calls = box.calls();
    const argv = calls.flatMap((call) => call.argv).join("\n");
    const output = run.stdout + run.stderr;

    for (const value of Object.values(secrets)) expect(argv).not.toContain(value);
    expect(output).not.toContain(PUSH_SECRET);
    expect(output).not.toContain(ACCOUNT_KEY);
    expect(output).not.toContain(secrets.SESSION_SECRET);
    expect(occurrences(output, secrets.READ_API_TOKENS ?? "?")).toBe(1);
    expect(occurrences(output, secrets.ADMIN_API_TOKENS ?? "?")).toBe(1);
    // Printed at the very end, after the doctor.
    expect(run.stdout.indexOf(secrets.ADMIN_API_TOKENS ?? "?")).toBeGreaterThan(run.stdout.indexOf("checks pass"));

    // The secrets reached wrangler in one file, readable by the user alone, removed afterwards.
    const bulk = calls.find((call) => call.bulkFile)?.bulkFile;
    expect(bulk?.mode).toBe(0o600);
    expect(JSON.parse(bulk?.content ?? "{}")).toEqual(secrets);
    expect(existsSync(bulk?.path ?? "")).toBe(false);
    expect(readdirSync(box.temp)).toEqual([]);
  });

  it("with --yes and a required value missing, stops before changing anything and names it", {
    timeout: 60_000,
  }, async () => {
    const box = await sandbox();

    const run = await runSetup(box, ["--yes"], { OMISELL_ACCOUNT_KEY: ACCOUNT_KEY });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain("missing with --yes: OMISELL_PUSH_SECRET; set the environment variable");
    expect(run.stderr).toContain("then run: npm run setup -- --yes");
    expect(commands(box.calls())).toEqual([
      "whoami --json",
      "d1 list --json",
      "queues list",
      "secret list --format json",
    ]);
    expect(box.account()).toEqual(freshAccount());
  });

  it("with --yes in partner mode names the flag or variable of each missing value", { timeout: 60_000 }, async () => {
    const box = await sandbox();

    const run = await runSetup(box, ["--yes", "--auth-mode", "partner"], { OMISELL_PUSH_SECRET: PUSH_SECRET });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "missing with --yes: OMISELL_PARTNER_KEY, OMISELL_COUNTRY (--country or OMISELL_COUNTRY); set the environment variables",
    );
    expect(box.account()).toEqual(freshAccount());
  });

  it("in partner mode writes OMISELL_AUTH_MODE into wrangler.toml and sets the partner settings", {
    timeout: 60_000,
  }, async () => {
    const box = await sandbox();

    const run = await runSetup(box, ["--yes", "--auth-mode", "partner", "--country", "VN"], {
      OMISELL_PUSH_SECRET: PUSH_SECRET,
      OMISELL_PARTNER_KEY: "partner-key-5678",
    });

    expect(run.code).toBe(0);
    expect(box.config()).toMatch(/^OMISELL_AUTH_MODE = "partner"$/m);
    expect(box.config()).toContain('SIGNATURE_MODE = "enforce"');
    const secrets = box.account().worker?.secrets ?? {};
    expect(secrets.OMISELL_PARTNER_KEY).toBe("partner-key-5678");
    expect(secrets.OMISELL_COUNTRY).toBe("VN");
    expect(secrets).not.toHaveProperty("OMISELL_SELLER_ID");
    expect(secrets).not.toHaveProperty("OMISELL_ACCOUNT_KEY");
  });

  it("asks for the Omisell settings without --yes, and never shows what was typed", { timeout: 60_000 }, async () => {
    const box = await sandbox();

    // Answers piped one per line: the auth mode (the default), go ahead (the default), the push
    // secret, the account key.
    const run = await runSetup(box, [], {}, `\n\n${PUSH_SECRET}\n${ACCOUNT_KEY}\n`);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain("? Omisell API auth mode: account, partner, token [account]");
    expect(run.stdout).toContain("? Go ahead? [Y/n]");
    expect(run.stdout).toContain("? Omisell push secret (Omisell console, push settings) (input hidden)");
    expect(run.stdout).not.toContain(PUSH_SECRET);
    expect(run.stdout).not.toContain(ACCOUNT_KEY);
    expect(box.account().worker?.secrets.OMISELL_ACCOUNT_KEY).toBe(ACCOUNT_KEY);
  });

  it("changes nothing when the plan is declined", { timeout: 60_000 }, async () => {
    const box = await sandbox();
    const configBefore = box.config();

    const run = await runSetup(box, [], {}, "partner\nn\n");

    expect(run.code).toBe(0);
    expect(run.stdout).toContain("stopped: nothing was changed");
    expect(commands(box.calls())).toEqual([
      "whoami --json",
      "d1 list --json",
      "queues list",
      "secret list --format json",
    ]);
    expect(box.account()).toEqual(freshAccount());
    expect(box.config()).toBe(configBefore);
  });

  it("uses a D1 database of the same name that already exists instead of creating one", {
    timeout: 60_000,
  }, async () => {
    const existing = {
      uuid: "2f8c1b9e-0000-4000-8000-00000000d1d1",
      name: "omisell-push",
      created_at: "",
      version: "production",
      num_tables: 0,
      file_size: 0,
    };
    const box = await sandbox(freshAccount({ databases: [existing] }));

    const run = await runSetup(box, ["--yes"], SECRET_ENV);

    expect(run.code).toBe(0);
    expect(commands(box.calls())).not.toContain("d1 create omisell-push");
    expect(box.config()).toContain(`database_id = "${existing.uuid}"`);
    expect(run.stdout).toContain(
      `write the id of the existing D1 database omisell-push (${existing.uuid}) into wrangler.toml`,
    );
  });

  it("reads every page of the queue list before deciding a queue is missing", { timeout: 60_000 }, async () => {
    const queue = (name: string) => ({ queue_id: `id-${name}`, queue_name: name, created_on: "", modified_on: "" });
    const others = ["a", "b", "c"].map(queue);
    const box = await sandbox(
      freshAccount({ queues: [...others, queue("omisell-followups"), queue("omisell-forwards")], queuePageSize: 2 }),
    );

    const run = await runSetup(box, ["--dry-run", "--yes"], SECRET_ENV);

    expect(run.code).toBe(0);
    expect(commands(box.calls()).filter((c) => c.startsWith("queues"))).toEqual([
      "queues list",
      "queues list --page 2",
      "queues list --page 3",
      "queues list --page 4",
    ]);
    expect(run.stdout).toContain("wrangler queues create omisell-followups-dlq");
    expect(run.stdout).not.toContain("wrangler queues create omisell-forwards");
  });

  it("stops when nobody is logged in, saying how to log in", { timeout: 60_000 }, async () => {
    const box = await sandbox(freshAccount({ loggedIn: false }));

    const run = await runSetup(box, ["--yes"], SECRET_ENV);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain("not logged in to Cloudflare: run `npx wrangler login`");
    expect(run.stderr).toContain("then run: npm run setup -- --yes");
    expect(commands(box.calls())).toEqual(["whoami --json"]);
  });

  it("asks which account when the login has several, and passes the one chosen to wrangler", {
    timeout: 60_000,
  }, async () => {
    const accounts = [
      { id: "acc-one", name: "Shop One" },
      { id: "acc-two", name: "Shop Two" },
    ];
    const box = await sandbox(freshAccount({ accounts }));

    const unchosen = await runSetup(box, ["--yes"], SECRET_ENV);
    expect(unchosen.code).toBe(1);
    expect(unchosen.stderr).toContain(
      "this login can use 2 accounts: Shop One (acc-one), Shop Two (acc-two); choose one with --account-id <id>",
    );

    const unknown = await runSetup(box, ["--yes", "--account-id", "acc-three"], SECRET_ENV);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      "account acc-three is not one this login can use (Shop One (acc-one), Shop Two (acc-two))",
    );

    const chosen = await runSetup(box, ["--yes", "--account-id", "acc-two"], SECRET_ENV);
    expect(chosen.code).toBe(0);
    expect(chosen.stdout).toContain("account Shop Two (acc-two)");
    const later = box.calls().slice(2);
    expect(later.every((call) => call.env.CLOUDFLARE_ACCOUNT_ID === "acc-two")).toBe(true);
  });
});

/**
 * The pieces of `npm run setup` on their own: reading what wrangler 4.164 prints, the one-line
 * edits of wrangler.toml, the plan, and the push signature the doctor sends.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { signPush } from "../../scripts/lib/push-signature.ts";
import { type Inventory, makePlan } from "../../scripts/setup/plan.ts";
import { isPlaceholderId, type Project, queueNames, withDatabaseId, withVar } from "../../scripts/setup/project.ts";
import { resumeCommand } from "../../scripts/setup/run.ts";
import {
  deployedUrl,
  isWorkerNotFound,
  readDatabases,
  readLogin,
  readQueueNames,
  readSecretNames,
  UnreadableOutput,
} from "../../scripts/setup/wrangler-output.ts";

const ROOT = resolve(import.meta.dirname, "../..");

describe("reading wrangler's output", () => {
  it("reads the login and its accounts from whoami --json", () => {
    const printed = JSON.stringify(
      {
        loggedIn: true,
        authType: "OAuth Token",
        email: "a@b.c",
        accounts: [{ id: "1", name: "Shop" }],
        tokenPermissions: [],
      },
      null,
      4,
    );
    expect(readLogin(printed)).toEqual({ email: "a@b.c", accounts: [{ id: "1", name: "Shop" }] });
  });

  it("reads a logged-out whoami --json, printed after an empty line", () => {
    expect(readLogin('\n{"loggedIn":false}\n')).toBeNull();
  });

  it("refuses output that holds no JSON instead of reading it as nothing", () => {
    expect(() => readDatabases("Getting databases...\n")).toThrow(UnreadableOutput);
  });

  it("reads the databases of d1 list --json, a warning line before it", () => {
    const printed = `▲ [WARNING] something\n${JSON.stringify([{ uuid: "u1", name: "omisell-push", version: "production", num_tables: 12 }], null, 2)}`;
    expect(readDatabases(printed)).toEqual([{ uuid: "u1", name: "omisell-push" }]);
  });

  it("reads queue names from the queues list table, whatever the column order", () => {
    const printed = [
      "┌──────┬───────────────────┬────────────┐",
      "│ id   │ name              │ created_on │",
      "├──────┼───────────────────┼────────────┤",
      "│ a1b2 │ omisell-followups │ 2026-01-01 │",
      "├──────┼───────────────────┼────────────┤",
      "│ c3   │ omisell-forwards  │ 2026-01-02 │",
      "└──────┴───────────────────┴────────────┘",
    ].join("\n");
    expect(readQueueNames(printed)).toEqual(["omisell-followups", "omisell-forwards"]);
    expect(readQueueNames(`\u001b[90m${printed}\u001b[39m`)).toEqual(["omisell-followups", "omisell-forwards"]);
  });

  it("reads an empty queues page (no table at all) as no queues", () => {
    expect(readQueueNames("\n")).toEqual([]);
  });

  it("refuses a queues table without a name column", () => {
    expect(() => readQueueNames("│ id │ title │\n│ 1 │ x │")).toThrow(UnreadableOutput);
  });

  it("reads secret names from secret list, and knows a Worker not deployed yet", () => {
    expect(readSecretNames('[\n  {\n    "name": "ADMIN_API_TOKENS",\n    "type": "secret_text"\n  }\n]')).toEqual([
      "ADMIN_API_TOKENS",
    ]);
    expect(
      isWorkerNotFound('✘ [ERROR] Worker "omisell-push" not found.\n\nIf this is a new Worker, run `wrangler deploy`'),
    ).toBe(true);
    expect(isWorkerNotFound("✘ [ERROR] A request to the Cloudflare API failed.")).toBe(false);
  });

  it("takes the workers.dev URL of a deploy from the output file, else from the printed targets", () => {
    const entry = JSON.stringify({
      type: "deploy",
      targets: ["https://push.example.com", "https://omisell-push.shop.workers.dev", "schedule: * * * * *"],
    });
    const session = JSON.stringify({ type: "wrangler-session", version: 1 });
    expect(deployedUrl(`${session}\n${entry}\n`, "")).toBe("https://omisell-push.shop.workers.dev");
    const printed =
      "Deployed omisell-push triggers (0.80 sec)\n  https://omisell-push.shop.workers.dev\n  schedule: * * * * *\n";
    expect(deployedUrl("", printed)).toBe("https://omisell-push.shop.workers.dev");
    expect(deployedUrl("", "No targets deployed for omisell-push (0.10 sec)\n")).toBeUndefined();
  });
});

describe("wrangler.toml", () => {
  const toml = readFileSync(resolve(ROOT, "wrangler.toml"), "utf8");

  it("names every queue once: producers, consumers and the dead-letter queue", () => {
    const config = {
      queues: {
        producers: [{ queue: "a" }, { queue: "b" }],
        consumers: [{ queue: "a", dead_letter_queue: "a-dlq" }, { queue: "a-dlq" }, { queue: "b" }],
      },
    };
    expect(queueNames(config)).toEqual(["a", "b", "a-dlq"]);
  });

  it("treats the shipped all-zero database id as no id", () => {
    expect(isPlaceholderId("00000000-0000-0000-0000-000000000000")).toBe(true);
    expect(isPlaceholderId(undefined)).toBe(true);
    expect(isPlaceholderId("2f8c1b9e-1234-4000-8000-00000000d1d1")).toBe(false);
  });

  it("writes the database id on its line and changes nothing else, comments included", () => {
    const edited = withDatabaseId(toml, "DB", "2f8c1b9e-1234-4000-8000-00000000d1d1");
    const changed = edited.split("\n").filter((line, i) => line !== toml.split("\n")[i]);
    expect(changed).toEqual(['database_id = "2f8c1b9e-1234-4000-8000-00000000d1d1"']);
    expect(edited.split("\n")).toHaveLength(toml.split("\n").length);
  });

  it("adds a database id after database_name when the table has none", () => {
    const bare = '[[d1_databases]]\nbinding = "DB"\ndatabase_name = "omisell-push"\nmigrations_dir = "migrations"\n';
    expect(withDatabaseId(bare, "DB", "id-1")).toBe(
      '[[d1_databases]]\nbinding = "DB"\ndatabase_name = "omisell-push"\ndatabase_id = "id-1"\nmigrations_dir = "migrations"\n',
    );
    expect(() => withDatabaseId(bare, "OTHER", "id-1")).toThrow('no [[d1_databases]] with binding = "OTHER"');
  });

  it("sets a var in [vars] on its own line, or adds it there", () => {
    const edited = withVar(toml, "OMISELL_AUTH_MODE", "partner");
    expect(edited).toMatch(/^OMISELL_AUTH_MODE = "partner"$/m);
    expect(edited.split("\n")).toHaveLength(toml.split("\n").length);
    const added = withVar('name = "w"\n[vars]\nA = "1"\n[[queues.producers]]\nqueue = "q"\n', "B", "2");
    expect(added).toBe('name = "w"\n[vars]\nB = "2"\nA = "1"\n[[queues.producers]]\nqueue = "q"\n');
  });
});

describe("the plan", () => {
  const project: Project = {
    dir: "/p",
    configPath: "/p/wrangler.toml",
    workerName: "omisell-push",
    accountId: undefined,
    database: { binding: "DB", name: "omisell-push", id: undefined },
    queues: ["omisell-followups", "omisell-forwards", "omisell-followups-dlq"],
    authMode: "account",
  };
  const empty: Inventory = { databases: [], queues: new Set(), secrets: new Set(), workerExists: false };

  it("creates everything on an empty account", () => {
    const plan = makePlan(project, empty, "account");
    expect(plan.database).toEqual({ action: "create", name: "omisell-push" });
    expect(plan.queuesToCreate).toEqual(project.queues);
    expect(plan.toGenerate).toEqual(["READ_API_TOKENS", "ADMIN_API_TOKENS", "SESSION_SECRET"]);
    expect(plan.toAsk.map((s) => s.name)).toEqual(["OMISELL_PUSH_SECRET", "OMISELL_ACCOUNT_KEY"]);
  });

  it("asks only for the credentials of the mode chosen, and marks the mode for wrangler.toml", () => {
    const plan = makePlan(project, empty, "token");
    expect(plan.toAsk.map((s) => [s.name, s.required])).toEqual([
      ["OMISELL_PUSH_SECRET", true],
      ["OMISELL_API_KEY", true],
      ["OMISELL_API_SECRET", false],
    ]);
    expect(plan.authModeChanged).toBe(true);
  });

  it("refuses a configured database id the account does not have", () => {
    const configured = { ...project, database: { ...project.database, id: "from-another-account" } };
    expect(() => makePlan(configured, empty, "account")).toThrow(
      "wrangler.toml's database_id from-another-account is not a D1 database of this account",
    );
  });
});

describe("the resume command", () => {
  it("repeats the flags of the run, none of which holds a secret", () => {
    expect(resumeCommand({ yes: false, flags: {} })).toBe("npm run setup");
    expect(resumeCommand({ yes: true, flags: { "auth-mode": "partner", country: "VN", "seller-id": undefined } })).toBe(
      "npm run setup -- --yes --auth-mode partner --country VN",
    );
  });
});

describe("the self-test push signature", () => {
  const vectors = JSON.parse(readFileSync(resolve(ROOT, "test/fixtures/signature-vectors.json"), "utf8")) as {
    secret: string;
    vectors: { name: string; callback_url: string; raw_body: string; authorization: string }[];
  };

  it.each(vectors.vectors)("matches the known Authorization of $name", (vector) => {
    expect(signPush(vectors.secret, vector.callback_url, vector.raw_body)).toBe(vector.authorization);
  });
});

/**
 * Runs the `wrangler` on PATH (npm puts the project's own first) as a child process with no
 * terminal on stdin, so wrangler takes its non-interactive answers instead of prompting. Secrets
 * never travel in argv: the only way a value reaches wrangler is `secret bulk <file>`.
 */
import { spawn } from "node:child_process";

/** What a wrangler command printed, and how it ended. */
export type WranglerResult = { code: number; stdout: string; stderr: string };

/** A wrangler command that ended with a non-zero status (or could not start). */
export class WranglerFailed extends Error {
  readonly command: string;
  readonly output: string;
  constructor(command: string, output: string, message = `\`${command}\` failed`) {
    super(message);
    this.command = command;
    this.output = output;
  }
}

export type RunOptions = {
  /** Show the command's output as it comes (indented); otherwise it is only captured. */
  echo?: boolean;
  /** Extra environment for this one command. */
  env?: Record<string, string>;
  /** A non-zero exit is handed back instead of thrown (for commands whose failure means something). */
  allowFailure?: boolean;
};

/** The printable form of a wrangler command, as a user would type it. */
export function commandLine(args: readonly string[]): string {
  return ["wrangler", ...args].map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(" ");
}

function indented(write: (text: string) => void) {
  let atLineStart = true;
  return (chunk: string) => {
    let text = "";
    for (const char of chunk) {
      if (atLineStart && char !== "\n") text += "    ";
      text += char;
      atLineStart = char === "\n";
    }
    write(text);
  };
}

/**
 * Runs one wrangler command in `cwd` with `env` (the caller's environment minus what it must
 * not pass on). Resolves with its output; throws `WranglerFailed` on a non-zero exit unless
 * `allowFailure`.
 */
export function runWrangler(
  args: readonly string[],
  context: { cwd: string; env: NodeJS.ProcessEnv },
  options: RunOptions = {},
): Promise<WranglerResult> {
  const command = commandLine(args);
  return new Promise((resolve, reject) => {
    const child = spawn("wrangler", args, {
      cwd: context.cwd,
      env: { ...context.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const showOut = indented((text) => process.stdout.write(text));
    const showErr = indented((text) => process.stderr.write(text));
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (options.echo) showOut(chunk);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      if (options.echo) showErr(chunk);
    });
    child.on("error", (err: NodeJS.ErrnoException) => {
      const why =
        err.code === "ENOENT"
          ? "wrangler is not on PATH: run this through npm (`npm run setup`), which puts the project's wrangler first"
          : err.message;
      reject(new WranglerFailed(command, "", why));
    });
    child.on("close", (code, signal) => {
      const result = { code: code ?? 1, stdout, stderr };
      if (result.code === 0 || options.allowFailure) return resolve(result);
      const output = `${stderr}\n${stdout}`.trim();
      const ending = signal ? `was stopped by ${signal}` : `exited with status ${result.code}`;
      reject(new WranglerFailed(command, output, `\`${command}\` ${ending}`));
    });
  });
}

/**
 * Questions on the terminal: a visible answer, or a hidden one that is never echoed (a secret
 * typed by the user). When stdin is not a terminal, answers are read one line each from it, so
 * a script can pipe them in.
 */
import { createInterface } from "node:readline";

let pipedLines: AsyncIterator<string> | undefined;

async function nextPipedLine(): Promise<string> {
  pipedLines ??= createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })[Symbol.asyncIterator]();
  const { value, done } = await pipedLines.next();
  return done ? "" : value;
}

/** Reads one line from a terminal in raw mode, echoing each character or, when hidden, nothing. */
function readTerminalLine(hidden: boolean): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve) => {
    let answer = "";
    const finish = () => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stdout.write("\n");
      resolve(answer);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return finish();
        if (char === "\u0003") {
          stdin.setRawMode(false);
          process.stdout.write("\n");
          process.exit(130);
        }
        if (char === "\u007f" || char === "\b") {
          if (answer.length > 0 && !hidden) process.stdout.write("\b \b");
          answer = answer.slice(0, -1);
        } else if (char >= " ") {
          answer += char;
          if (!hidden) process.stdout.write(char);
        }
      }
    };
    stdin.setRawMode(true);
    stdin.setEncoding("utf8");
    stdin.on("data", onData);
    stdin.resume();
  });
}

/** Asks `question`; the answer is trimmed. A hidden answer is never shown on the terminal. */
export async function ask(question: string, { hidden = false } = {}): Promise<string> {
  process.stdout.write(`? ${question}${hidden ? " (input hidden)" : ""}: `);
  const answer = process.stdin.isTTY ? await readTerminalLine(hidden) : await nextPipedLine();
  if (!process.stdin.isTTY) process.stdout.write("\n");
  return answer.trim();
}

/** Stops reading piped answers so the process can end. */
export function closePrompts(): void {
  pipedLines?.return?.();
  process.stdin.pause();
}

/**
 * CPU time used by a process tree (Linux /proc), so the report can say how many milliseconds of
 * CPU each request costs in workerd and in wrangler. Unlike requests/second, this figure hardly
 * moves when other programs share the machine. Elsewhere it reports nothing.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU ms by process name (`workerd`, `node`). */
export type CpuByName = Record<string, number>;

function stat(pid: number | string): { name: string; ppid: number; cpuMs: number } {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  const name = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { name, ppid: Number(fields[1]), cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
}

/** The pid and every descendant of it. */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  for (const entry of entries) {
    try {
      const { ppid } = stat(entry);
      const siblings = children.get(ppid) ?? [];
      siblings.push(Number(entry));
      children.set(ppid, siblings);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const stack = [rootPid];
  for (let pid = stack.pop(); pid !== undefined; pid = stack.pop()) {
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU ms so far, summed by process name (`workerd`, `node`), over the tree of `rootPid` (none without a pid). */
export function cpuByName(rootPid: number | undefined): CpuByName {
  const total: CpuByName = {};
  if (rootPid === undefined) return total;
  for (const pid of processTree(rootPid)) {
    try {
      const { name, cpuMs } = stat(pid);
      if (name === "esbuild") continue;
      total[name] = (total[name] ?? 0) + cpuMs;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** Per-request CPU ms by process name between two `cpuByName` readings. */
export function cpuPerRequest(before: CpuByName, after: CpuByName, requests: number): CpuByName {
  const out: CpuByName = {};
  for (const [name, ms] of Object.entries(after)) out[name] = requests > 0 ? (ms - (before[name] ?? 0)) / requests : 0;
  return out;
}

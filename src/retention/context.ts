/** What one retention run carries from row kind to row kind: its deps, its clock and its tally. */
import type { RetentionDeps } from "./deps";

/** What archiving did in this run so far; `failure` is the first error of ARCHIVE (R2) itself. */
export type ArchiveTally = { objects: number; events: number; failure: unknown };

export type RetentionContext = {
  deps: RetentionDeps;
  /** The cron's scheduled time: every age is measured from it. */
  now: number;
  runId: string;
  archive: ArchiveTally;
};

/** What one step of a row kind did: rows handled, and whether more may be waiting. */
export type StepResult = { count: number; more: boolean };

/**
 * Thrown when ARCHIVE itself failed (a write or a delete in R2), so the run records its archive
 * outcome as `failed`; a D1 failure is not one.
 */
export class ArchiveWriteError extends Error {
  constructor(
    readonly key: string,
    cause: unknown,
  ) {
    super(`ARCHIVE failed on ${key}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * The one source of deliveries: each active destination's cursor walks the change feed and
 * creates a delivery for every settlement it takes, then sends their messages.
 */
import { describeError } from "../errors";
import { batchIdPrefix } from "../lib/ids";
import { log } from "../lib/log";
import { nudgeWalk, WALK_ALL } from "../queue/walk-nudge";
import { commitWalkStep, readWalkPage } from "../store/destination-walk";
import { activeDestinationsStatement, type DestinationRow, syncDefaultStatements } from "../store/destinations";
import { RETRY_WINDOW_MS } from "./backoff";
import type { ForwardDeps } from "./deps";
import { sendForwards } from "./message";

/** Changes read per step: one guarded batch moves the cursor over them. */
export const WALK_PAGE = 500;
/** Steps per destination and walk; past them the walk nudges itself to go on in a fresh invocation. */
export const MAX_WALK_PAGES = 10;

/**
 * Walks every active destination (or only `only`), after bringing the default destination in step
 * with FORWARD_URL. Destinations are walked one after another; a failure of one is logged and the
 * others still walk. Returns how many deliveries were created.
 */
export async function walkDestinations(deps: ForwardDeps, now: number, only?: string): Promise<number> {
  const results = await deps.db.batch<DestinationRow>([
    ...syncDefaultStatements(deps.db, deps.config.destination?.url ?? null, now),
    activeDestinationsStatement(deps.db, only === WALK_ALL ? undefined : only),
  ]);
  const destinations = results.at(-1)?.results ?? [];
  let created = 0;
  for (const destination of destinations) {
    try {
      created += await walkDestination(deps, destination, now);
    } catch (err) {
      log("error", "walk_failed", { destination_id: destination.id, error: describeError(err) });
    }
  }
  return created;
}

/**
 * One destination's walk from its cursor, a page at a time. Each page is one transaction: the
 * cursor's guarded move from where this walk read it, then the page's deliveries only if that move
 * happened (commitWalkStep). A walker that finds the cursor moved by another stops: one walker per
 * destination at a time, and the loser's inserts never land. A pause between pages stops it too.
 * `seq` order is commit order (docs/change-feed.md), so every change up to the page's end has
 * committed and the cursor never passes one unseen; an event that changes status meanwhile takes
 * a new `seq` past the cursor and is met again.
 */
async function walkDestination(deps: ForwardDeps, destination: DestinationRow, now: number): Promise<number> {
  let from = destination.cursor_seq;
  let created = 0;
  for (let page = 0; page < MAX_WALK_PAGES; page++) {
    const { pageEnd, changes } = await readWalkPage(deps.db, from, WALK_PAGE);
    if (pageEnd === null) return created;
    const step = await commitWalkStep(deps.db, {
      destinationId: destination.id,
      from,
      to: pageEnd,
      token: crypto.randomUUID(),
      // One millisecond further per page, so a walk's ids sort in feed order across its pages.
      idPrefix: batchIdPrefix(now + page),
      now,
      retryUntil: now + RETRY_WINDOW_MS,
    });
    if (!step.held) {
      log("info", "walk_cursor_moved_elsewhere", { destination_id: destination.id, from });
      return created;
    }
    await sendCreated(deps, destination.id, step.created);
    created += step.created.length;
    from = pageEnd;
    if (changes < WALK_PAGE) return created;
  }
  // More than a walk's pages behind (a resume, a new destination starting from history).
  await nudgeWalk(deps.queue, destination.id);
  return created;
}

/** Sent at once; a message that cannot be sent is re-sent by the sweeper once overdue. */
async function sendCreated(deps: ForwardDeps, destinationId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  try {
    await sendForwards(deps.queue, ids);
  } catch (err) {
    log("error", "walk_send_failed", {
      destination_id: destinationId,
      deliveries: ids.length,
      error: describeError(err),
    });
  }
}

/**
 * A compressed sale day, as `npm run simulate -- --sale-day`, the sale-day bench and its end-to-end
 * test play it: orders known before the hour change status in the seller's bulk actions, new orders
 * arrive all along (order.created and, a moment later, their first change). Each change is told to
 * the Omisell stand-in first (its order list and order detail show it), then pushed, signed.
 */
import { signPush } from "./push-signature.ts";

/** The shape of the day; times are those of the compressed hour. */
export type SaleDayShape = {
  /** Part of every order number and request id: two runs never collide. */
  runId: string;
  /** Orders known before the hour (their detail is stored), each changing `changesPerKnown` times. */
  known: number;
  changesPerKnown: number;
  /** New orders: order.created, then one change `followUpMs` later. */
  fresh: number;
  /** The hour, compressed (the bench: 6 minutes for 60). */
  hourMs: number;
  /**
   * Known orders change in bulk actions of this many (a seller marks a few hundred orders ready to
   * ship at once; a marketplace syncs its statuses in batches); 1 spreads them evenly over the hour.
   */
  bulk: number;
  followUpMs: number;
};

/** One change: when (ms into the hour), which order, which push, and the status it leaves the order in. */
export type SaleDayChange = { atMs: number; orderNumber: string; event: string; statusName: string; isNew: boolean };

const KNOWN_STEPS: [string, string][] = [
  ["order.processing", "Processing"],
  ["order.ready_to_ship", "Ready To Ship"],
  ["order.shipped", "Shipped"],
  ["order.completed", "Completed"],
];

export function knownOrderNumber(runId: string, index: number): string {
  return `OMSD${runId}K${String(index).padStart(5, "0")}`;
}

export function newOrderNumber(runId: string, index: number): string {
  return `OMSD${runId}N${String(index).padStart(5, "0")}`;
}

/**
 * Every change of the day, in time order. The known orders' k-th changes come before their
 * (k+1)-th, in waves of `bulk` spread evenly over the hour; the new orders' creations are spread
 * evenly, each followed by its first change.
 */
export function planSaleDay(shape: SaleDayShape): SaleDayChange[] {
  const changes: SaleDayChange[] = [];
  const knownChanges = shape.known * shape.changesPerKnown;
  const waves = Math.max(1, Math.ceil(knownChanges / Math.max(1, shape.bulk)));
  for (let n = 0; n < knownChanges; n++) {
    const step = Math.floor(n / shape.known);
    const [event, statusName] = KNOWN_STEPS[step % KNOWN_STEPS.length] as [string, string];
    const wave = Math.floor(n / Math.max(1, shape.bulk));
    changes.push({
      atMs: Math.floor(((wave + 0.5) * shape.hourMs) / waves),
      orderNumber: knownOrderNumber(shape.runId, n % shape.known),
      event,
      statusName,
      isNew: false,
    });
  }
  for (let i = 0; i < shape.fresh; i++) {
    const createdAt = Math.floor(((i + 0.5) * shape.hourMs) / shape.fresh);
    const orderNumber = newOrderNumber(shape.runId, i);
    changes.push({ atMs: createdAt, orderNumber, event: "order.created", statusName: "Pending", isNew: true });
    changes.push({
      atMs: createdAt + shape.followUpMs,
      orderNumber,
      event: "order.processing",
      statusName: "Processing",
      isNew: true,
    });
  }
  return changes.sort((a, b) => a.atMs - b.atMs);
}

/** The push Omisell would send for a change, with a request id of the run's own. */
export function saleDayPushBody(change: SaleDayChange, runId: string, index: number, nowMs: number): string {
  return JSON.stringify({
    request_id: `saleday-${runId}-${index}`,
    event: change.event,
    seller_id: 1001,
    timestamp: Math.floor(nowMs / 1000),
    data: {
      omisell_order_number: change.orderNumber,
      order_number: `SHOP-${change.orderNumber}`,
      status_name: change.statusName,
    },
  });
}

/** SQL that stores the known orders' detail as fetched at `fetchedAtMs`, for a database seeded before the hour. */
export function seedKnownOrdersSql(orderNumbers: readonly string[], fetchedAtMs: number): string {
  const text = (value: string) => `'${value.replaceAll("'", "''")}'`;
  const rows = orderNumbers.map((number) => {
    const data = JSON.stringify({ omisell_order_number: number, status_name: "Pending", seller_id: 1001 });
    return `('order', ${text(number)}, '1001', 'Pending', ${text(data)}, ${fetchedAtMs}, NULL)`;
  });
  const statements: string[] = [];
  for (let i = 0; i < rows.length; i += 200) {
    statements.push(
      `INSERT OR IGNORE INTO resources (type, id, seller_id, status_name, data, fetched_at, last_event_id) VALUES\n${rows.slice(i, i + 200).join(",\n")};`,
    );
  }
  return `${statements.join("\n")}\n`;
}

/** Tells the stand-in about orders (created or changed at `updatedTime`, epoch seconds), in one call. */
export async function tellStandin(
  standinUrl: string,
  orders: { omisell_order_number: string; status_name: string; updated_time?: number }[],
): Promise<void> {
  if (orders.length === 0) return;
  const res = await fetch(`${standinUrl}/__standin/orders`, { method: "POST", body: JSON.stringify(orders) });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`the stand-in at ${standinUrl} answered ${res.status} to the order changes`);
}

export type PlayOptions = {
  changes: readonly SaleDayChange[];
  runId: string;
  /** The worker's base URL; pushes go to `${workerUrl}/webhooks/omisell`, signed for that URL. */
  workerUrl: string;
  secret: string;
  standinUrl: string;
  /** Pushes in flight at most. */
  concurrency?: number;
  signal?: AbortSignal;
};

/** What playing the day sent: pushes answered 200, and those that were not (status or error). */
export type PlayResult = { pushed: number; refused: number; lateMs: number };

/**
 * Plays the changes in real time from now: at each change's time the stand-in is told (the changes
 * due together in one call), then their pushes are sent, at most `concurrency` at once. Returns
 * the pushes answered 200 and the others, and how late the player fell behind at worst.
 */
export async function playSaleDay(options: PlayOptions): Promise<PlayResult> {
  const url = `${options.workerUrl}/webhooks/omisell`;
  const started = Date.now();
  let next = 0;
  let pushed = 0;
  let refused = 0;
  let lateMs = 0;
  const push = async (change: SaleDayChange, index: number) => {
    const body = saleDayPushBody(change, options.runId, index, Date.now());
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: signPush(options.secret, url, body) },
        body,
        signal: options.signal,
      });
      await res.arrayBuffer();
      if (res.ok) pushed += 1;
      else refused += 1;
    } catch {
      refused += 1;
    }
  };
  while (next < options.changes.length && !options.signal?.aborted) {
    const dueAt = started + (options.changes[next]?.atMs ?? 0);
    const wait = dueAt - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    lateMs = Math.max(lateMs, Date.now() - dueAt);
    const elapsed = Date.now() - started;
    const due: [SaleDayChange, number][] = [];
    while (next < options.changes.length && (options.changes[next]?.atMs ?? 0) <= elapsed) {
      due.push([options.changes[next] as SaleDayChange, next]);
      next += 1;
    }
    const seconds = Math.floor(Date.now() / 1000);
    await tellStandin(
      options.standinUrl,
      due.map(([change]) => ({
        omisell_order_number: change.orderNumber,
        status_name: change.statusName,
        updated_time: seconds,
      })),
    );
    for (let i = 0; i < due.length; i += options.concurrency ?? 32) {
      await Promise.all(due.slice(i, i + (options.concurrency ?? 32)).map(([change, index]) => push(change, index)));
    }
  }
  return { pushed, refused, lateMs };
}

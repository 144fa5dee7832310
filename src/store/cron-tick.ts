/** The cron's last tick (migrations/0016): written first in every run, read by the doctor. */

export type CronTick = { tickedAt: number; scheduledTime: number };

/** Records that a cron run started at `tickedAt` (wall clock, ms) for `scheduledTime`: one row, overwritten. */
export async function recordCronTick(db: D1Database, tick: CronTick): Promise<void> {
  await db
    .prepare(
      `INSERT INTO cron_tick (id, ticked_at, scheduled_time) VALUES (1, ?1, ?2)
       ON CONFLICT (id) DO UPDATE SET ticked_at = excluded.ticked_at, scheduled_time = excluded.scheduled_time`,
    )
    .bind(tick.tickedAt, tick.scheduledTime)
    .run();
}

/** The latest run's tick, or null when the cron has never run on this database. */
export async function readCronTick(db: D1Database): Promise<CronTick | null> {
  const row = await db
    .prepare("SELECT ticked_at, scheduled_time FROM cron_tick WHERE id = 1")
    .first<{ ticked_at: number; scheduled_time: number }>();
  return row ? { tickedAt: row.ticked_at, scheduledTime: row.scheduled_time } : null;
}

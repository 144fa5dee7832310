/** Cron work (issue 3): re-enqueue stuck events, purge past retention. Placeholder. */
export async function runScheduled(_controller: ScheduledController, _env: Env): Promise<void> {}

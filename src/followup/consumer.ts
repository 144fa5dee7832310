/** Follow-up consumer (issue 3). Until it lands, messages are acknowledged and events stay `received`. */
import type { FollowupMessage } from "./message";

export async function consumeFollowups(batch: MessageBatch<FollowupMessage>, _env: Env): Promise<void> {
  batch.ackAll();
}

export async function consumeDeadLetters(batch: MessageBatch<FollowupMessage>, _env: Env): Promise<void> {
  batch.ackAll();
}

/** Holds the Omisell API token for `token` auth mode (issue 3). Placeholder. */
import { DurableObject } from "cloudflare:workers";

export class OmisellTokenHolder extends DurableObject<Env> {}

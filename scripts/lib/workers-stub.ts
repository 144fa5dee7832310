/**
 * Stands in for the `cloudflare:workers` module when a script loads the worker's code in Node
 * (`npm run docs:api`): the Durable Object classes extend `DurableObject`, which only has to exist.
 */
export class DurableObject {}
export class WorkerEntrypoint {}
export const env = {};

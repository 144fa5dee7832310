/**
 * What the worker sees of the /docs page script (`docs-client.ts`, checked against the DOM by
 * `tsconfig.docs.json`): a function to serialize, never to call in the worker.
 */
export declare function docsClient(): void;

/** The archive's R2 bucket as retention and the read API use it: write, read and delete one object. */

/**
 * What of the `ARCHIVE` binding the code uses, so a test can hand in a bucket that fails or
 * stops half-way. `env.ARCHIVE` is one.
 */
export type ArchiveBucket = {
  put(key: string, value: Uint8Array, options: R2PutOptions): Promise<unknown>;
  get(key: string): Promise<R2ObjectBody | null>;
  delete(key: string): Promise<void>;
};

/** What an object's own metadata says about it (R2 custom metadata). */
export type ObjectFacts = { firstId: string; lastId: string; count: number };

/** Writes one gzip NDJSON object, replacing any object under the same key. */
export async function putArchiveObject(
  bucket: ArchiveBucket,
  key: string,
  body: Uint8Array,
  facts: ObjectFacts,
): Promise<void> {
  await bucket.put(key, body, {
    httpMetadata: { contentType: "application/x-ndjson", contentEncoding: "gzip" },
    customMetadata: { first_id: facts.firstId, last_id: facts.lastId, count: String(facts.count) },
  });
}

/**
 * The `ARCHIVE` binding, or null when wrangler.toml has none: the archive is optional, so the
 * code reads it the same way whether or not the generated `Env` declares it.
 */
export function archiveBucketOf(env: object): ArchiveBucket | null {
  return (env as { ARCHIVE?: ArchiveBucket }).ARCHIVE ?? null;
}

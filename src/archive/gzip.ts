/** gzip in and out of the runtime's CompressionStream, for the archive's NDJSON objects. */

/** `text` as UTF-8, gzipped. */
export async function gzip(text: string): Promise<Uint8Array> {
  const compressed = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(compressed).arrayBuffer());
}

/** A gzip stream, decompressed as it is read. */
export function gunzipStream(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return body.pipeThrough(new DecompressionStream("gzip"));
}

/** gzipped bytes back to the UTF-8 text they hold. */
export async function gunzipText(bytes: Uint8Array | ArrayBuffer): Promise<string> {
  return new Response(gunzipStream(new Blob([bytes]).stream())).text();
}

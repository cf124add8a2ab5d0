// What a chunking worker of `ParallelChunker` (parallel.js) does with one message: chunks and
// hashes the segment on its own and sends the packed chunks back, with the segment's buffer so
// the main thread can stitch and reuse it. Shared by worker-node.js and worker-browser.js, which
// initialise the wasm first and then send `{ ready: true }`.
import { chunkSegment } from '../../dist/xet/hf_buckets_xet.js';

/**
 * @param {{ id: number, buffer: ArrayBuffer, length: number }} message
 * @returns {[any, Transferable[]]} the reply and what it transfers
 */
export function onSegment({ id, buffer, length }) {
  try {
    const chunks = chunkSegment(new Uint8Array(buffer, 0, length));
    return [{ id, buffer, length, chunks: chunks.buffer }, [buffer, chunks.buffer]];
  } catch (e) {
    return [{ id, buffer, length, error: e instanceof Error ? e.message : String(e) }, [buffer]];
  }
}

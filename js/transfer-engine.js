// Uploads and downloads (the transfer engine, src/bindings/transfer.rs). `js/index.js` re-exports
// the free functions and forwards the `BucketClient` methods here with its raw client. The only
// JS logic: turning a Rust `Download` into a WHATWG ReadableStream (pull-based, so nothing is
// fetched beyond the engine's small read-ahead while the consumer does not read) and into one
// Uint8Array for `getBucketFile`. The public types of these calls: transfer.d.ts (a types-only
// module; this file takes the raw client first, which the public functions do not).

import { transferOpen, transferOpenBlob, transferUpload } from '../dist/client/hf_buckets_client.js';
import { blobOf } from './blob.js';

/**
 * Uploads one file and commits it (src/upload/commit.rs). Resolves to `{ path, xetHash, size,
 * newBytes, dedupBytes, sha256?, upload, batch? }`.
 */
export function uploadBucketFile(raw, bucketId, options = {}) {
  return transferUpload(raw, bucketId, options);
}

// A byte stream: a reader in BYOB mode hands its own buffer to each read and the engine copies
// the verified bytes straight into it (`nextInto`), so a consumer that reuses its buffers (as
// `downloadBucketFile` does) allocates nothing per piece; a default reader gets the engine's
// pieces, each exactly as large as its bytes. (No `autoAllocateChunkSize`: with one, every
// default read allocated a zeroed buffer of that size, 4 MiB for a 4 KiB file, and a download
// sync of 1,000 small files spent a third of its time allocating and collecting them.)
function streamOf(download) {
  let done = false;
  const finish = () => {
    if (!done) {
      done = true;
      download.free();
    }
  };
  return new ReadableStream(
    {
      type: 'bytes',
      async pull(controller) {
        // A BYOB read brings a request with its buffer; a default read has none: enqueue a piece.
        const request = controller.byobRequest;
        try {
          const n = request?.view ? await download.nextInto(request.view) : undefined;
          const piece = request?.view ? undefined : await download.next();
          if (request?.view && n !== undefined) {
            request.respond(n);
          } else if (piece !== undefined) {
            controller.enqueue(piece);
          } else {
            finish();
            controller.close();
            request?.respond(0);
          }
        } catch (e) {
          finish();
          controller.error(e);
        }
      },
      cancel() {
        if (!done) download.cancel();
        finish();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Opens a file (or a byte range of it) as a ReadableStream of verified bytes. Resolves once the
 * file was found and its reconstruction planned.
 */
export async function openBucketFile(raw, bucketId, options = {}) {
  const download = await transferOpen(raw, bucketId, options ?? {});
  const stream = streamOf(download);
  return Object.assign(stream, { size: download.length, fileSize: download.fileSize, xetHash: download.xetHash });
}

/** Downloads a file (or a byte range of it) into one Uint8Array. */
export async function getBucketFile(raw, bucketId, options = {}) {
  const download = await transferOpen(raw, bucketId, options ?? {});
  try {
    const out = new Uint8Array(download.length);
    let at = 0;
    // Straight into the result: no piece is allocated on the way.
    while (at < out.length) {
      const n = await download.nextInto(out.subarray(at));
      if (n === undefined) break;
      at += n;
    }
    // The end (and the final checks) come with one more call.
    if (at === out.length && (await download.next()) !== undefined) {
      throw new RangeError('the download yielded more bytes than its length');
    }
    return out;
  } finally {
    download.free();
  }
}

/** Opens a file as a lazy, verified `BucketBlob` (js/blob.js). */
export async function openBucketBlob(raw, bucketId, path, options = {}) {
  const { type, ...rest } = options ?? {};
  const reader = await transferOpenBlob(raw, bucketId, path === undefined ? rest : { ...rest, path });
  return blobOf(reader, type === undefined ? '' : String(type));
}

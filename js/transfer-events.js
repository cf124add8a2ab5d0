// Progress events of uploads, built here from numbers in one call from wasm
// (src/bindings/adapters.rs): an event per file of a batch, each built from Rust with a
// `Reflect.set` and a key string per field, was a large part of the CPU of a many-file upload.
// Self-contained on purpose: wasm-bindgen copies only this file.

/** The `onProgress` event of an upload (see `UploadProgressEvent` in js/transfer.d.ts). */
export function uploadEvent(index, path, fileRead, fileHashed, fileDeduplicated, fileNew, done, read, hashed, deduplicated, fresh, uploaded, sent) {
  return {
    file: { index, path, bytesRead: fileRead, bytesHashed: fileHashed, bytesDeduplicated: fileDeduplicated, bytesNew: fileNew, done },
    bytesRead: read,
    bytesHashed: hashed,
    bytesDeduplicated: deduplicated,
    bytesNew: fresh,
    bytesUploaded: uploaded,
    bytesSent: sent,
  };
}

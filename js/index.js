// The public API of `hf-buckets`, shared by the Node and browser entries (js/node, js/browser),
// which initialise the wasm first. Everything here forwards to the Rust client
// (src/bindings/client.rs); the only JS logic is turning pagers (and change-feed watchers) into async iterables and
// freeing temporary clients. Types and docs: index.d.ts.
//
// Left out on purpose: no default export, no global configuration (pass options), no caching
// of whoami (call it once and keep the result).

import {
  BucketClient as RawClient,
  checkTransferCall,
  formatHfUri as rawFormatHfUri,
  parseHfUri as rawParseHfUri,
} from '../dist/client/hf_buckets_client.js';
import { pages } from './iter.js';
import { rawClients } from './raw-clients.js';
import * as transfer from './transfer-engine.js';
import { TransferWorker } from './worker/client.js';

export * from './error-exports.js';
export { formatSyncPlan, parseSyncPlan } from './sync-plan.js';

/** A client for Storage Buckets; see index.d.ts. */
export class BucketClient {
  #raw;
  /** @type {TransferWorker | null} */
  #worker = null;

  constructor(options = {}) {
    this.#raw = new RawClient(options);
    rawClients.set(this, this.#raw);
    // The worker gets the endpoint as resolved here: a worker started from a blob: URL (a
    // cross-origin package) has no location to resolve `/hub` against.
    if (options?.worker) this.#worker = new TransferWorker({ ...options, endpoint: this.#raw.endpoint }, options.worker);
  }

  /**
   * Runs a transfer in the worker (`worker` option) or, without one, here. The worker mode
   * checks the arguments here first with the call's own reader, so both refuse the same input.
   */
  #offload(method, bucketId, options, here) {
    if (!this.#worker) return here();
    return this.#worker.call(method, [bucketId, options], here, () => checkTransferCall(method, bucketId, options));
  }

  /** Whether transfers run in a Web Worker (the `worker` option, where workers are available). */
  async usesWorker() {
    return this.#worker ? this.#worker.usesWorker() : false;
  }

  /** The Hub endpoint in use. */
  get endpoint() {
    return this.#raw.endpoint;
  }

  createBucket(name, options) {
    return this.#raw.createBucket(name, options);
  }

  deleteBucket(bucketId, options) {
    return this.#raw.deleteBucket(bucketId, options);
  }

  bucketInfo(bucketId, options) {
    return this.#raw.bucketInfo(bucketId, options);
  }

  listBuckets(options = {}) {
    return pages(() => this.#raw.listBucketsPager(options), options?.signal);
  }

  listBucketTree(bucketId, options = {}) {
    return pages(() => this.#raw.listBucketTreePager(bucketId, options), options?.signal);
  }

  getPathsInfo(bucketId, paths, options) {
    return this.#raw.getPathsInfo(bucketId, paths, options);
  }

  // Watching is I/O only: it runs on this thread even with the `worker` option.
  watchBucket(bucketId, options = {}) {
    return pages(() => this.#raw.watchBucketWatcher(bucketId, options), options?.signal);
  }

  updateBucketSettings(bucketId, options) {
    return this.#raw.updateBucketSettings(bucketId, options);
  }

  getFileMetadata(bucketId, path, options) {
    return this.#raw.getFileMetadata(bucketId, path, options);
  }

  fileExists(bucketId, path, options) {
    return this.#raw.fileExists(bucketId, path, options);
  }

  whoami(options) {
    return this.#raw.whoami(options);
  }

  moveBucket(options) {
    return this.#raw.moveBucket(options);
  }

  batchBucketFiles(bucketId, options) {
    const here = () => this.#raw.batchBucketFiles(bucketId, options);
    return options?.add?.length ? this.#offload('batchBucketFiles', bucketId, options, here) : here();
  }

  deleteBucketFiles(bucketId, options) {
    return this.#raw.deleteBucketFiles(bucketId, options);
  }

  copyFiles(options) {
    return this.#raw.copyFiles(options);
  }

  uploadBucketFile(bucketId, options) {
    return this.#offload('uploadBucketFile', bucketId, options, () => transfer.uploadBucketFile(this.#raw, bucketId, options));
  }

  getBucketFile(bucketId, options) {
    return this.#offload('getBucketFile', bucketId, options, () => transfer.getBucketFile(this.#raw, bucketId, options));
  }

  openBucketFile(bucketId, options) {
    return this.#offload('openBucketFile', bucketId, options, () => transfer.openBucketFile(this.#raw, bucketId, options));
  }

  downloadStream(bucketId, options) {
    return this.openBucketFile(bucketId, options);
  }

  // Runs on the calling thread also in worker mode: the blob is an object with a lifetime.
  openBucketBlob(bucketId, path, options) {
    return transfer.openBucketBlob(this.#raw, bucketId, path, options);
  }
}

/** Runs `fn` with a temporary client built from `options`, freed when the call settles. */
async function once(options, fn) {
  const client = new RawClient(options);
  try {
    return await fn(client);
  } finally {
    client.free();
  }
}

export function createBucket(name, options = {}) {
  return once(options, (c) => c.createBucket(name, options));
}

export function deleteBucket(bucketId, options = {}) {
  return once(options, (c) => c.deleteBucket(bucketId, options));
}

export function bucketInfo(bucketId, options = {}) {
  return once(options, (c) => c.bucketInfo(bucketId, options));
}

export function listBuckets(options = {}) {
  let client;
  return pages(
    () => (client = new RawClient(options)).listBucketsPager(options),
    options?.signal,
    () => client?.free(),
  );
}

export function listBucketTree(bucketId, options = {}) {
  let client;
  return pages(
    () => (client = new RawClient(options)).listBucketTreePager(bucketId, options),
    options?.signal,
    () => client?.free(),
  );
}

export function watchBucket(bucketId, options = {}) {
  let client;
  return pages(
    () => (client = new RawClient(options)).watchBucketWatcher(bucketId, options),
    options?.signal,
    () => client?.free(),
  );
}

export function getPathsInfo(bucketId, paths, options = {}) {
  return once(options, (c) => c.getPathsInfo(bucketId, paths, options));
}

export function updateBucketSettings(bucketId, options = {}) {
  return once(options, (c) => c.updateBucketSettings(bucketId, options));
}

export function getFileMetadata(bucketId, path, options = {}) {
  return once(options, (c) => c.getFileMetadata(bucketId, path, options));
}

export function fileExists(bucketId, path, options = {}) {
  return once(options, (c) => c.fileExists(bucketId, path, options));
}

export function whoami(options = {}) {
  return once(options, (c) => c.whoami(options));
}

export function moveBucket(options = {}) {
  return once(options, (c) => c.moveBucket(options));
}

export function batchBucketFiles(bucketId, options = {}) {
  return once(options, (c) => c.batchBucketFiles(bucketId, options));
}

export function deleteBucketFiles(bucketId, options = {}) {
  return once(options, (c) => c.deleteBucketFiles(bucketId, options));
}

export function copyFiles(options = {}) {
  return once(options, (c) => c.copyFiles(options));
}

export function uploadBucketFile(bucketId, options = {}) {
  return once(options, (c) => transfer.uploadBucketFile(c, bucketId, options));
}

export function getBucketFile(bucketId, options = {}) {
  return once(options, (c) => transfer.getBucketFile(c, bucketId, options));
}

export function openBucketFile(bucketId, options = {}) {
  return once(options, (c) => transfer.openBucketFile(c, bucketId, options));
}

export const downloadStream = openBucketFile;

export function openBucketBlob(bucketId, path, options = {}) {
  return once(options, (c) => transfer.openBucketBlob(c, bucketId, path, options));
}

export function parseHfUri(uri, options) {
  return rawParseHfUri(uri, options);
}

export function formatHfUri(parts) {
  return rawFormatHfUri(parts);
}

// `hf-buckets/manual`: the client without automatic wasm loading, for builds that cannot resolve
// `new URL('…wasm', import.meta.url)` (esbuild, Rollup, a CDN). Call `await init({ wasm })` once;
// until then every export that needs the wasm fails with an `InitError` saying so (calls that
// return a promise, made while `init` runs, wait for it). The rules live in ../wasm-loader.js.
import load from '../../dist/client/hf_buckets_client.js';
import * as api from '../index.js';
import * as sync from '../browser/sync.js';
import { wasmInit } from '../wasm-loader.js';

const wasm = wasmInit('hf-buckets/manual', 'hf-buckets/client.wasm', load);

/** Loads the client's wasm once; see ../wasm-loader.js for what `wasm` may be. */
export const init = wasm.init;
export { InitError, isInitError } from '../wasm-init.js';

export const BucketClient = wasm.class(api.BucketClient);

export const createBucket = wasm.async(api.createBucket);
export const deleteBucket = wasm.async(api.deleteBucket);
export const bucketInfo = wasm.async(api.bucketInfo);
export const listBuckets = wasm.iterable(api.listBuckets);
export const listBucketTree = wasm.iterable(api.listBucketTree);
export const watchBucket = wasm.iterable(api.watchBucket);
export const getPathsInfo = wasm.async(api.getPathsInfo);
export const updateBucketSettings = wasm.async(api.updateBucketSettings);
export const getFileMetadata = wasm.async(api.getFileMetadata);
export const fileExists = wasm.async(api.fileExists);
export const whoami = wasm.async(api.whoami);
export const moveBucket = wasm.async(api.moveBucket);
export const batchBucketFiles = wasm.async(api.batchBucketFiles);
export const deleteBucketFiles = wasm.async(api.deleteBucketFiles);
export const copyFiles = wasm.async(api.copyFiles);
export const uploadBucketFile = wasm.async(api.uploadBucketFile);
export const getBucketFile = wasm.async(api.getBucketFile);
export const openBucketFile = wasm.async(api.openBucketFile);
export const downloadStream = openBucketFile;
export const openBucketBlob = wasm.async(api.openBucketBlob);
export const parseHfUri = wasm.sync(api.parseHfUri);
export const formatHfUri = wasm.sync(api.formatHfUri);
export const formatSyncPlan = wasm.sync(api.formatSyncPlan);
export const parseSyncPlan = wasm.sync(api.parseSyncPlan);
// Directory sync with a folder handle or a File list as the local side (as the browser entry).
export const planSync = wasm.async(sync.planSync);
export const applySyncPlan = wasm.async(sync.applySyncPlan);
export const syncBucket = wasm.async(sync.syncBucket);
export const downloadBucketFiles = wasm.async(sync.downloadBucketFiles);

// The error classes and guards are plain JS: usable before `init`.
export * from '../error-exports.js';

// Node half of directory sync (workflows spec §1–§2, issue 11): the calls of js/sync.d.ts with
// the local side being a folder on disk (js/node/local-fs.js). Planning and execution live in
// js/sync-exec.js (shared with browser local sides) and in the Rust planner (src/sync/).

import { readFile } from 'node:fs/promises';
import { BucketClient } from '../index.js';
import { applyWith, downloadFilesWith, planWith, syncWith } from '../sync-exec.js';
import { ValidationError } from '../../dist/client/js/errors.js';
import { nodeLocalSide } from './local-fs.js';

const readText = (path) => readFile(path, 'utf8');

/** Plans a sync between a local directory and a bucket; see sync.d.ts. */
export function planSync(options = {}) {
  return planWith(options ?? {}, nodeLocalSide, readText);
}

/** Executes a plan; see sync.d.ts. */
export async function applySyncPlan(plan, options = {}) {
  const o = options ?? {};
  return applyWith(plan, o, o.client ?? new BucketClient(o), nodeLocalSide);
}

/** Plans and executes a sync (or only plans, with `dryRun`); see sync.d.ts. */
export function syncBucket(options = {}) {
  return syncWith(options, { planSync, applySyncPlan, newClient: (o) => new BucketClient(o) });
}

/** Downloads many bucket files into a local folder; see sync.d.ts. */
export async function downloadBucketFiles(bucketId, options = {}) {
  const o = options ?? {};
  if (typeof o.destination !== 'string' || o.destination === '') {
    throw new ValidationError('downloadBucketFiles: `destination` must be a local folder path', { code: 'INVALID_ARGUMENT' });
  }
  return downloadFilesWith(o.client ?? new BucketClient(o), bucketId, o, nodeLocalSide(o.destination), readText);
}

// Sync plans as JS objects (workflows spec §1.7): the plan-file helpers of the Rust side plus
// the `toJSONL()` method every plan object gets (non-enumerable, so the plan stays plain data).
// Shared by js/index.js (formatSyncPlan, parseSyncPlan) and js/node/sync.js (planSync).

import {
  formatSyncPlan as rawFormatSyncPlan,
  parseSyncPlan as rawParseSyncPlan,
} from '../dist/client/hf_buckets_client.js';

/** Adds `toJSONL()` to a plan object from Rust and returns it. */
export function withJsonl(plan) {
  Object.defineProperty(plan, 'toJSONL', {
    value() {
      return rawFormatSyncPlan(this);
    },
    enumerable: false,
    writable: true,
    configurable: true,
  });
  return plan;
}

export function formatSyncPlan(plan) {
  return rawFormatSyncPlan(plan);
}

export function parseSyncPlan(text) {
  return withJsonl(rawParseSyncPlan(text));
}

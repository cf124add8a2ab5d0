// Type tests of directory sync planning (js/sync.d.ts through the package's exports): each call
// assigned to a typed const, and wrong uses rejected with @ts-expect-error.
import {
  formatSyncPlan,
  parseSyncPlan,
  planSync,
  type PlanSyncOptions,
  type SyncAction,
  type SyncOperation,
  type SyncPlan,
  type SyncSummary,
} from "hf-buckets";
import * as manual from "hf-buckets/manual";

declare const signal: AbortSignal;

async function check(): Promise<void> {
  const options: PlanSyncOptions = {
    source: "./ckpts",
    destination: "hf://buckets/me/b/run1",
    delete: true,
    ignoreTimes: false,
    ignoreSizes: false,
    existing: false,
    ignoreExisting: false,
    include: ["*.bin"],
    exclude: ["*.tmp"],
    filterFrom: "./filters.txt",
    signal,
  };
  const plan: SyncPlan = await planSync({ ...options, accessToken: "hf_x", endpoint: "http://127.0.0.1:1" });
  const summary: SyncSummary = plan.summary;
  const total: number = summary.totalSize + summary.uploads + summary.downloads + summary.deletes + summary.skips;
  const direction: "upload" | "download" = plan.direction;
  const first: SyncOperation | undefined = plan.operations[0];
  const action: SyncAction | undefined = first?.action;
  const size: number | undefined = first?.size;
  const mtime: string | undefined = first?.localMtime ?? first?.remoteMtime;
  const text: string = plan.toJSONL();
  const again: SyncPlan = parseSyncPlan(text);
  const same: string = formatSyncPlan(again);
  const viaManual: SyncPlan = manual.parseSyncPlan(manual.formatSyncPlan(plan));
  void [total, direction, action, size, mtime, same, viaManual, plan.bucketId, plan.prefix, plan.localPath];

  // @ts-expect-error source and destination are required
  await planSync({ destination: "hf://buckets/me/b" });
  // @ts-expect-error include takes an array of globs
  await planSync({ source: "a", destination: "hf://buckets/me/b", include: "*.bin" });
  // @ts-expect-error not an action
  const bad: SyncAction = "move";
  void bad;
  // @ts-expect-error parseSyncPlan takes the text
  parseSyncPlan(plan);
}
void check;

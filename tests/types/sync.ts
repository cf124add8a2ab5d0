// Type tests of directory sync planning (js/sync.d.ts through the package's exports): each call
// assigned to a typed const, and wrong uses rejected with @ts-expect-error.
import {
  applySyncPlan,
  downloadBucketFiles,
  syncBucket,
  BucketClient,
  type DownloadFilesReport,
  type SyncFailure,
  type SyncLocalSide,
  type SyncProgressEvent,
  type SyncReport,
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
    checksum: true,
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

  // Executing: syncBucket (dryRun narrows to the plan), applySyncPlan, downloadBucketFiles.
  const onProgress = (e: SyncProgressEvent): void => {
    const n: number = e.filesDone + e.filesTotal + e.bytesDone + e.bytesTotal + e.bytesSent + e.bytesFetched + e.bytesDeduplicated;
    const files: string[] = e.currentFiles;
    const phase: "upload" | "download" | "delete" | "done" = e.phase;
    void [n, files, phase];
  };
  const dry: SyncPlan = await syncBucket({ ...options, dryRun: true, accessToken: "hf_x" });
  const report: SyncReport = await syncBucket({ ...options, concurrency: 4, onProgress, accessToken: "hf_x" });
  const failure: SyncFailure | undefined = report.failed[0];
  const failedAction: "upload" | "download" | "delete" | undefined = failure?.action;
  const counts: number = report.uploaded + report.downloaded + report.deleted + report.skipped + report.bytesSent + report.bytesWritten;
  const missing: string[] = report.missing;
  const applied: SyncReport = await applySyncPlan(again, { signal, onProgress, client: new BucketClient() });
  const viaPlan: SyncReport = await syncBucket({ plan: again, accessToken: "hf_x" });
  const downloads: DownloadFilesReport = await downloadBucketFiles("me/b", { prefix: "run1", destination: "./run1", include: ["*.bin"], concurrency: 8 });
  const byFiles: DownloadFilesReport = await downloadBucketFiles("me/b", {
    files: ["a.bin", { path: "b.bin", size: 3, xetHash: "0".repeat(64) }],
    destination: "./out",
  });
  void [dry, failedAction, counts, missing, applied, viaPlan, downloads.downloaded + byFiles.bytesFetched];
  const side: Pick<SyncLocalSide, "kind" | "remove"> = {
    kind: async () => null,
    remove: async () => false,
  };
  void side;
  // @ts-expect-error dryRun: true resolves to a plan, not a report
  const notReport: SyncReport = await syncBucket({ ...options, dryRun: true });
  // @ts-expect-error downloadBucketFiles needs a destination
  await downloadBucketFiles("me/b", { prefix: "run1" });
  // @ts-expect-error checksum is a boolean
  await planSync({ source: "a", destination: "hf://buckets/me/b", checksum: "yes" });
  // @ts-expect-error concurrency is a number
  await applySyncPlan(again, { concurrency: "8" });
  void notReport;

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

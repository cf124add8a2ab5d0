// Type tests of planSync in browsers (js/sync.d.ts, the browser block): a folder handle from the
// DOM, an OPFS root, a File list; wrong uses rejected with @ts-expect-error.
import {
  applySyncPlan,
  downloadBucketFiles,
  planSync,
  syncBucket,
  type BrowserPlanSyncOptions,
  type DownloadFilesReport,
  type SyncDirectoryHandle,
  type SyncPlan,
  type SyncReport,
} from "hf-buckets";

declare const picked: FileSystemDirectoryHandle;
declare const input: HTMLInputElement;
declare const signal: AbortSignal;

async function check(): Promise<void> {
  const handle: SyncDirectoryHandle = picked;
  const up: SyncPlan = await planSync({ source: picked, destination: "hf://buckets/me/b", delete: true, signal, accessToken: "hf_x" });
  const opfs = await navigator.storage.getDirectory();
  const down: SyncPlan = await planSync({ source: "hf://buckets/me/b/sub", destination: opfs, ignoreTimes: true });
  const options: BrowserPlanSyncOptions = {
    source: input.files ?? [],
    destination: "hf://buckets/me/b",
    filterFrom: new Blob(["- *.tmp\n"]),
    exclude: ["*.bak"],
  };
  const fromList: SyncPlan = await planSync(options);
  const fromArray: SyncPlan = await planSync({ source: [new File(["x"], "a.txt")], destination: "hf://buckets/me/b" });
  void [handle, up, down, fromList, fromArray];

  const applied: SyncReport = await applySyncPlan(up, { localFolder: picked, signal, concurrency: 4, onProgress: (e) => void e.bytesDone });
  const tokenProvider = async () => ({ accessToken: "t", exp: 0, casUrl: "http://cas" });
  const synced: SyncReport = await syncBucket({ source: "hf://buckets/me/b", destination: opfs, delete: true, tokenProvider });
  const fromFiles: SyncReport = await syncBucket({ source: input.files ?? [], destination: "hf://buckets/me/b" });
  const dry: SyncPlan = await syncBucket({ source: picked, destination: "hf://buckets/me/b", dryRun: true });
  const withPlan: SyncReport = await syncBucket({ plan: up, localFolder: picked });
  const got: DownloadFilesReport = await downloadBucketFiles("me/b", { prefix: "logs", destination: opfs, filterFrom: new Blob(["- *.tmp"]) });
  void [applied, synced, fromFiles, dry, withPlan, got];
  // @ts-expect-error a folder handle is not a path: downloadBucketFiles takes one or the other, not a number
  await downloadBucketFiles("me/b", { prefix: "logs", destination: 1 });

  // @ts-expect-error a File list cannot be a destination
  await planSync({ source: "hf://buckets/me/b", destination: [new File(["x"], "a.txt")] });
  // @ts-expect-error filterFrom is a Blob in browsers, a path in Node: not a number
  await planSync({ source: picked, destination: "hf://buckets/me/b", filterFrom: 1 });
  // @ts-expect-error a file handle is not a folder
  const notFolder: SyncDirectoryHandle = {} as FileSystemFileHandle;
  void notFolder;
}
void check;

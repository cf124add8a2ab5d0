// Type tests of the transfer API (js/transfer.d.ts through the package's exports): each call
// assigned to a typed const, and wrong uses rejected with @ts-expect-error.
import {
  BucketClient,
  downloadBucketFile,
  getBucketFile,
  openBucketFile,
  openBucketBlob,
  downloadStream,
  uploadBucketFile,
  type AsyncBuffer,
  type BatchReport,
  type BucketBlob,
  type BucketBlobStats,
  type BucketFileStream,
  type CasToken,
  type DownloadProgressEvent,
  type TokenProvider,
  type UploadBucketFileResult,
  type UploadProgressEvent,
  type UploadReport,
} from "hf-buckets";

declare const file: File;
declare const stream: ReadableStream<Uint8Array>;
declare const signal: AbortSignal;

async function check(): Promise<void> {
  const hub = new BucketClient({ accessToken: "hf_x" });
  const up: UploadBucketFileResult = await hub.uploadBucketFile("me/b", {
    source: file,
    destination: "a.bin",
    contentType: "application/octet-stream",
    mtime: new Date(),
    signal,
    onProgress: (e: UploadProgressEvent) => void e.file.bytesHashed,
  });
  const hash: string = up.xetHash;
  const sent: number = up.upload.bytesSent;
  const batch: BatchReport | undefined = up.batch;
  await hub.uploadBucketFile("me/b", { source: stream, destination: "s.bin", commit: false });
  await hub.uploadBucketFile("me/b", { source: new Uint8Array(3), destination: "u.bin" });
  await hub.uploadBucketFile("me/b", { source: "./weights.bin", destination: "w.bin" });
  // @ts-expect-error destination is required
  await hub.uploadBucketFile("me/b", { source: file });
  // @ts-expect-error numbers are not sources
  await hub.uploadBucketFile("me/b", { source: 42, destination: "x" });

  const r: BatchReport = await hub.batchBucketFiles("me/b", {
    add: [{ source: file, destination: "a" }, { xetHash: "0".repeat(64), destination: "b" }],
    delete: ["old"],
    onProgress: (e) => void e.bytesUploaded,
  });
  const upload: UploadReport | undefined = r.upload;

  const bytes: Uint8Array = await hub.getBucketFile("me/b", { path: "a", range: { start: 0, end: 10 }, signal });
  const s: BucketFileStream = await hub.openBucketFile("me/b", { path: "a", onProgress: (e: DownloadProgressEvent) => void e.bytesVerified });
  const size: number = s.size;
  for await (const piece of s) void (piece satisfies Uint8Array);

  const provider: TokenProvider = async ({ bucketId, scope }): Promise<CasToken> => ({ accessToken: bucketId + scope, exp: 1, casUrl: "https://cas" });
  await getBucketFile("me/b", { xetHash: hash, size: 3, tokenProvider: provider });
  await uploadBucketFile("me/b", { source: file, destination: "x", accessToken: "hf_x", endpoint: "http://localhost:1" });
  await openBucketFile("me/b", { path: "a" });
  const s2: BucketFileStream = await downloadStream("me/b", { path: "a", range: { start: 1 } });
  const s3: BucketFileStream = await hub.downloadStream("me/b", { path: "a" });
  await hub.getBucketFile("me/b", { path: "a", range: { start: 5 }, verify: "structural" });
  await openBucketFile("me/b", { path: "a", verify: "full" });
  // @ts-expect-error only 'full' or 'structural'
  await hub.getBucketFile("me/b", { path: "a", verify: "fast" });

  const blob: BucketBlob = await hub.openBucketBlob("me/b", "a.parquet", { cacheBytes: 1 << 20, type: "application/vnd.apache.parquet" });
  const part: BucketBlob = blob.slice(-8, undefined, "application/octet-stream");
  const ab: ArrayBuffer = await part.arrayBuffer({ signal });
  const u8: Uint8Array = await blob.slice(0, 4).bytes();
  const txt: string = await blob.text();
  const rs: ReadableStream<Uint8Array> = blob.stream();
  const buf: AsyncBuffer = blob.asyncBuffer();
  const head: ArrayBuffer = await buf.slice(0, buf.byteLength);
  const st: BucketBlobStats = blob.stats();
  const n: number = blob.size + st.bytesFetched;
  blob.close();
  const free: BucketBlob = await openBucketBlob("me/b", undefined, { xetHash: hash, size: 3, accessToken: "hf_x" });
  // @ts-expect-error cacheBytes is a number
  await hub.openBucketBlob("me/b", "a", { cacheBytes: "1MB" });
  void [part, ab, u8, txt, rs, head, n, free];
  void [s2, s3];
  const saved: { path: string; size: number } = await downloadBucketFile("me/b", { path: "a", to: "./a", client: hub });
  void [sent, batch, upload, bytes, size, saved];
}
void check;

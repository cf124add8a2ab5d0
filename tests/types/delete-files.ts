// Type checks of `deleteBucketFiles` (js/index.d.ts): prefix or paths, filters, the report.
import {
  BucketClient,
  deleteBucketFiles,
  type BatchFailure,
  type DeleteBucketFilesOptions,
  type DeleteBucketFilesReport,
} from 'hf-buckets';
import { deleteBucketFiles as manualDelete } from 'hf-buckets/manual';

async function deleting(): Promise<void> {
  const hub = new BucketClient({ accessToken: 'hf_x' });
  const signal = new AbortController().signal;
  const options: DeleteBucketFilesOptions = { prefix: 'logs/', include: ['*.log'], exclude: ['*.keep'], dryRun: true, signal };
  const report: DeleteBucketFilesReport = await hub.deleteBucketFiles('me/b', options);
  const deleted: string[] = report.deleted;
  const bytes: number = report.totalSize;
  const dry: boolean = report.dryRun;
  const missing: string[] = report.missing;
  const failed: BatchFailure[] = report.failed;
  const ok: boolean = report.success;
  void [deleted, bytes, dry, missing, failed, ok];

  await hub.deleteBucketFiles('me/b', { paths: ['a.bin', 'b.bin'] });
  await deleteBucketFiles('me/b', { prefix: '', accessToken: 'hf_x', endpoint: 'http://127.0.0.1:1' });
  await manualDelete('me/b', { paths: ['a'] });

  // @ts-expect-error options are required (a prefix or paths)
  hub.deleteBucketFiles('me/b');
  // @ts-expect-error paths is an array
  hub.deleteBucketFiles('me/b', { paths: 'a.bin' });
  // @ts-expect-error include is an array of globs
  hub.deleteBucketFiles('me/b', { prefix: '', include: '*.tmp' });
  // @ts-expect-error the report has no `size` (it is `totalSize`)
  void report.size;
}
void deleting;

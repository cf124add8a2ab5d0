// `hf-buckets delete ID [-y] [--missing-ok]` (§7.4): asks first unless `--yes`.

import { confirm } from '../confirm.js';
import { bucketTarget } from '../targets.js';

/** @type {import('../args.js').Command} */
export default {
  name: 'delete',
  summary: 'Delete a bucket.',
  usage: 'ID',
  positionals: [1, 1],
  options: {
    yes: { type: 'boolean', short: 'y', description: 'Do not ask for confirmation.' },
    'missing-ok': { type: 'boolean', description: 'Do not fail if the bucket does not exist.' },
  },
  examples: ['hf-buckets delete user/my-bucket', 'hf-buckets delete user/my-bucket -y --missing-ok'],
  async run({ positionals, values, out, client, signal, about, io }) {
    const { bucketId } = bucketTarget(positionals[0], 'delete');
    about.bucketId = bucketId;
    await confirm(`Are you sure you want to delete bucket '${bucketId}'?`, {
      yes: Boolean(values.yes),
      mode: out.mode,
      stdin: io.stdin,
      stderr: io.stderr,
      signal,
    });
    await (await client()).deleteBucket(bucketId, { missingOk: Boolean(values['missing-ok']), signal });
    out.result('Bucket deleted', { bucket_id: bucketId });
  },
};

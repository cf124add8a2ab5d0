// `hf-buckets info ID` (§7.4): the bucket as a dict of `id, private, created_at, size, total_files`.

import { pythonDate } from '../format.js';
import { bucketTarget } from '../targets.js';

/** @type {import('../args.js').Command} */
export default {
  name: 'info',
  summary: 'Get info about a bucket.',
  usage: 'ID',
  positionals: [1, 1],
  options: {},
  examples: ['hf-buckets info user/my-bucket', 'hf-buckets info hf://buckets/user/my-bucket --json'],
  async run({ positionals, out, client, signal, about }) {
    const { bucketId } = bucketTarget(positionals[0], 'info');
    about.bucketId = bucketId;
    const info = await (await client()).bucketInfo(bucketId, { signal });
    out.dict({
      id: info.id,
      private: info.private,
      created_at: pythonDate(info.createdAt, 'T'),
      size: info.size,
      total_files: info.totalFiles,
    });
  },
};

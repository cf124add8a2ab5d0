// `hf-buckets move FROM TO` (§7.4): renames a bucket or moves it to another namespace.

import { bucketTarget } from '../targets.js';

/** @type {import('../args.js').Command} */
export default {
  name: 'move',
  summary: 'Move (rename) a bucket to a new name or namespace.',
  usage: 'FROM TO',
  positionals: [2, 2],
  options: {},
  examples: ['hf-buckets move user/old-bucket user/new-bucket'],
  async run({ positionals, out, client, signal, about }) {
    const from = bucketTarget(positionals[0], 'move').bucketId;
    const to = bucketTarget(positionals[1], 'move').bucketId;
    about.bucketId = from;
    await (await client()).moveBucket({ fromId: from, toId: to, signal });
    out.result('Bucket moved', { from_id: from, to_id: to });
  },
};

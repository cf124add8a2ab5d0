// `hf-buckets settings ID --private|--public` (§5.2): changes a bucket's visibility through the
// package's `updateBucketSettings`.

import { UsageError } from '../errors.js';
import { bucketTarget } from '../targets.js';

/** @type {import('../args.js').Command} */
export default {
  name: 'settings',
  summary: "Update a bucket's settings (visibility).",
  usage: 'ID',
  positionals: [1, 1],
  options: {
    private: { type: 'boolean', description: 'Make the bucket private.' },
    public: { type: 'boolean', description: 'Make the bucket public.' },
  },
  examples: ['hf-buckets settings user/my-bucket --private', 'hf-buckets settings user/my-bucket --public'],
  async run({ positionals, values, out, client, signal, about }) {
    if (Boolean(values.private) === Boolean(values.public)) {
      throw new UsageError('Specify exactly one of --private or --public.', 'settings');
    }
    const { bucketId } = bucketTarget(positionals[0], 'settings');
    about.bucketId = bucketId;
    const isPrivate = Boolean(values.private);
    await (await client()).updateBucketSettings(bucketId, { private: isPrivate, signal });
    out.result('Bucket settings updated', { bucket_id: bucketId, private: isPrivate });
    out.hint(`Run \`hf-buckets info ${bucketId}\` to view bucket details.`);
  },
};

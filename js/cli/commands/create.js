// `hf-buckets create ID [--private] [--exist-ok] [--region us|eu]` (§7.4). A bare name is
// created under the token's user.

import { UsageError } from '../errors.js';

/** @type {import('../args.js').Command} */
export default {
  name: 'create',
  summary: 'Create a new bucket.',
  usage: 'ID',
  positionals: [1, 1],
  options: {
    private: { type: 'boolean', description: 'Create a private bucket.' },
    'exist-ok': { type: 'boolean', description: 'Do not fail if the bucket already exists.' },
    region: { type: 'string', value: 'us|eu', description: 'Storage region.' },
  },
  examples: ['hf-buckets create my-bucket', 'hf-buckets create my-org/my-bucket --private --exist-ok'],
  async run({ positionals, values, out, client, signal }) {
    const name = positionals[0].replace(/^hf:\/\/buckets\//, '');
    if (name.split('/').length > 2) throw new UsageError(`'${positionals[0]}' must be a bucket name or id, not a path.`, 'create');
    const region = /** @type {string | undefined} */ (values.region);
    if (region !== undefined && region !== 'us' && region !== 'eu') {
      throw new UsageError(`Invalid value for '--region': '${region}' is not one of 'us', 'eu'.`, 'create');
    }
    const created = await (await client()).createBucket(name, {
      private: Boolean(values.private),
      existOk: Boolean(values['exist-ok']),
      ...(region ? { region } : {}),
      signal,
    });
    out.result('Bucket created', { uri: created.handle, url: created.url });
  },
};

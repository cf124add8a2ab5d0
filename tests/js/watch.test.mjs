// `watchBucket` in Node against local-hub's change feed: the scenarios of
// helpers/watch-scenarios.mjs through the package's main entry.
import { test, before, after } from 'node:test';
import * as lib from 'hf-buckets';
import { __liveWatchers } from '../../dist/client/hf_buckets_client.js';
import { scenarios } from './helpers/watch-scenarios.mjs';
import { startClientHub } from './helpers/client-env.mjs';

let local;
let hubInfo;
let n = 0;

before(async () => {
  ({ local, hubInfo } = await startClientHub());
});

after(async () => {
  await local?.stop();
});

for (const s of scenarios) {
  test(`node: ${s.name}`, async () => {
    await s.run({
      lib,
      hub: hubInfo,
      admin: (method, route, body) => local.admin(method, route, body),
      liveWatchers: () => __liveWatchers(),
      uniq: (prefix) => `${prefix}-n${(n++).toString(36)}-${Math.random().toString(36).slice(2, 7)}`,
    });
  });
}

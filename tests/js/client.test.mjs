// The bucket client in Node against local-hub: every scenario of helpers/client-scenarios.mjs,
// through the `BucketClient` class and through the free functions, imported from the package
// itself (`hf-buckets` resolves to js/node/index.js through package.json "exports").
import { test, before, after } from 'node:test';
import * as lib from 'hf-buckets';
import { __livePagers } from '../../dist/client/hf_buckets_client.js';
import { scenarios } from './helpers/client-scenarios.mjs';
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

for (const mode of ['client', 'free']) {
  for (const s of scenarios) {
    test(`node ${mode}: ${s.name}`, async () => {
      await s.run({
        lib,
        mode,
        hub: hubInfo,
        admin: (method, route, body) => local.admin(method, route, body),
        livePagers: () => __livePagers(),
        uniq: (prefix) => `${prefix}-n${mode[0]}-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 7)}`,
      });
    });
  }
}

// The options shared by uploadBucketFile and batchBucketFiles behave the same on every call path:
// the client's methods and the free functions in Node, a page's client and a client in worker mode
// (`worker: true`, where the call runs in a Web Worker) in Chromium. One table
// (helpers/shared-options.mjs) of mtime, contentType, signal, sha256, xorbConcurrency, commit,
// onProgress, tokenProvider, destination and source values; every path must give each row's
// expected outcome, and the paths of one call must agree on the whole outcome, error message
// included.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as hfb from 'hf-buckets';
import { startDemoStack } from './helpers/browser.mjs';
import { CALLS, cases, runRow } from './helpers/shared-options.mjs';

const TABLE = new URL('./helpers/shared-options.mjs', import.meta.url);

let stack;
let hub;
let server;
let browser;

before(async () => {
  stack = await startDemoStack();
  ({ hub, server, browser } = stack);
});

after(async () => {
  await stack?.close();
});

/** Node: the client's methods and the free functions, over every row. */
async function nodeOutcomes() {
  const auth = { endpoint: hub.hub, accessToken: hub.token };
  const client = new hfb.BucketClient(auth);
  const { bucketId } = await client.createBucket('shared-options-node', { existOk: true });
  const info = (path) => client.getPathsInfo(bucketId, [path]);
  const out = {};
  for (const [method, call] of Object.entries(CALLS)) {
    for (const [label, api, base] of [['client', client, {}], ['function', hfb, auth]]) {
      const rows = cases();
      out[`node ${label} ${method}`] = [];
      for (const [i, row] of rows.entries()) {
        const destination = `node-${label}-${method}/${i}.json`;
        out[`node ${label} ${method}`].push(await runRow({ call: (o) => call(api, bucketId, o), info, row, destination, base }));
      }
    }
  }
  return out;
}

/** Chromium: a page's client and a client in worker mode, both with endpoint '/hub'. */
async function browserOutcomes(t) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const table = await readFile(TABLE, 'utf8');
  await context.route('**/shared-options.mjs', (route) => route.fulfill({ contentType: 'text/javascript', body: table }));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(new URL('index.html?worker=off', server.url).href);
  const result = await page.evaluate(async () => {
    const { BucketClient } = await import('hf-buckets');
    const { CALLS, cases, runRow } = await import('/shared-options.mjs');
    const tokenProvider = async ({ bucketId, scope, signal }) =>
      (await fetch(`/api/token?bucket=${encodeURIComponent(bucketId)}&mode=${scope}`, { signal })).json();
    const here = new BucketClient({ endpoint: '/hub' });
    const inWorker = new BucketClient({ endpoint: '/hub', worker: true });
    const { bucketId } = await here.createBucket('shared-options-browser', { existOk: true });
    const info = (path) => here.getPathsInfo(bucketId, [path]);
    const out = {};
    for (const [method, call] of Object.entries(CALLS)) {
      for (const [label, client] of [['page', here], ['worker', inWorker]]) {
        const key = `chromium ${label} ${method}`;
        out[key] = [];
        for (const [i, row] of cases().entries()) {
          const destination = `${label}-${method}/${i}.json`;
          out[key].push(await runRow({ call: (o) => call(client, bucketId, o), info, row, destination, base: { tokenProvider } }));
        }
      }
    }
    return { out, usesWorker: await inWorker.usesWorker() };
  });
  assert.equal(result.usesWorker, true, 'the worker-mode client ran its calls in a worker');
  assert.deepEqual(errors, []);
  return result.out;
}

describe('shared upload options on every call path', () => {
  test('one table: Node (client, free functions) and Chromium (page, worker mode)', { timeout: 300_000 }, async (t) => {
    const outcomes = { ...(await nodeOutcomes()), ...(await browserOutcomes(t)) };
    const rows = cases();
    assert.equal(Object.keys(outcomes).length, 8);
    for (const [i, row] of rows.entries()) {
      for (const [path, list] of Object.entries(outcomes)) {
        const got = list[i];
        for (const [k, v] of Object.entries(row.expect)) {
          assert.deepEqual(got[k], v, `${row.name} on ${path}: ${k} (got ${JSON.stringify(got)})`);
        }
      }
      // The paths of one call agree on the whole outcome; both calls on the class and code.
      for (const method of Object.keys(CALLS)) {
        const same = Object.entries(outcomes).filter(([path]) => path.endsWith(` ${method}`));
        for (const [path, list] of same.slice(1)) {
          assert.deepEqual(list[i], same[0][1][i], `${row.name}: ${path} vs ${same[0][0]}`);
        }
      }
      const classes = new Set(Object.values(outcomes).map((list) => `${list[i].ok} ${list[i].name} ${list[i].code}`));
      assert.equal(classes.size, 1, `${row.name}: ${[...classes].join(' | ')}`);
    }
  });
});

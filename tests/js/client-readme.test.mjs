// The README's examples are runnable as written:
// - the `hf-buckets` API section: its ```js blocks, joined in order, run as one ES module in Node
//   against local-hub with HF_ENDPOINT / HF_TOKEN set, as the README tells users to do against the
//   real Hub;
// - the worker example of "Embedding the widget" (`endpoint: '/hub', worker: true`): run as a
//   module in a Chromium page of the demo server (which serves /hub and /api/token), with the
//   `file` and `controller` it expects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { BucketClient } from 'hf-buckets';
import { startLocalHub } from './helpers/local-hub.mjs';
import { startDemoServer } from '../../scripts/demo-server.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The user of the README's worker example (`alice/photos`), served by the demo server. */
const ALICE_TOKEN = 'hf_alice_readme_example';
let local;

before(async () => {
  local = await startLocalHub({ tokens: [`alice:${ALICE_TOKEN}:write`] });
});

after(async () => {
  await local?.stop();
});

test('README: the API section examples run against local-hub', async () => {
  const readme = await readFile(`${ROOT}README.md`, 'utf8');
  const start = readme.indexOf('<!-- API section: maintained with the bucket client');
  const end = readme.indexOf('<!-- end of the hf-buckets API section -->');
  assert.ok(start >= 0 && end > start, 'API section markers');
  const blocks = [...readme.slice(start, end).matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 13, `expected an example per function, found ${blocks.length} blocks`);
  // Inside the package (so `import "hf-buckets"` resolves to this checkout), in an ignored dir.
  const dir = `${ROOT}target/readme-examples`;
  await mkdir(dir, { recursive: true });
  const file = `${dir}/api-${process.pid}.mjs`;
  await writeFile(file, blocks.join('\n'));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [file], {
      env: { ...process.env, HF_ENDPOINT: local.hub, HF_TOKEN: local.token },
      timeout: 60_000,
      cwd: dir, // the examples write ./hello.txt
    });
    assert.match(stdout, new RegExp(`${local.user}/demo-ckpts`), stdout);
    assert.match(stdout, /404 RepoNotFound/, stdout);
    // downloadBucketFile wrote the verified file where the example said.
    assert.equal(await readFile(`${dir}/hello.txt`, 'utf8'), 'hello buckets\n'.repeat(100_000));
  } finally {
    await rm(file, { force: true });
    await rm(`${dir}/hello.txt`, { force: true });
  }
});

test('README: the worker example runs in a page with endpoint "/hub"', { timeout: 120_000 }, async (t) => {
  const readme = await readFile(`${ROOT}README.md`, 'utf8');
  const marker = readme.indexOf('<!-- worker example: run in Chromium by tests/js/client-readme.test.mjs -->');
  assert.ok(marker >= 0, 'worker example marker');
  const example = /```js\n([\s\S]*?)```/.exec(readme.slice(marker))?.[1];
  assert.ok(example?.includes("endpoint: '/hub', worker: true"), example);

  const server = await startDemoServer({ hubUrl: local.hub, token: ALICE_TOKEN });
  t.after(() => server.close());
  assert.equal(server.user, 'alice');
  const alice = new BucketClient({ endpoint: local.hub, accessToken: ALICE_TOKEN });
  await alice.createBucket('photos', { existOk: true });

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const logged = [];
  const errors = [];
  page.on('console', (m) => logged.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  const content = 'a photo, in the README example\n'.repeat(40_000);
  // A page of the demo server's origin: the import map of www/index.html, then the example as a
  // module, given the `file` and `controller` its comments describe.
  await page.route('**/readme-worker-example.html', (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><meta charset="utf-8"><title>README worker example</title>
<script type="importmap">{ "imports": { "hf-buckets": "/js/browser/index.js" } }</script>
<script type="module">
const file = new File([${JSON.stringify(content)}], 'beach.txt', { type: 'text/plain' });
const controller = new AbortController();
${example}
globalThis.readmeResult = { usesWorker: await client.usesWorker(), endpoint: client.endpoint };
</script>`,
  }));
  await page.goto(new URL('readme-worker-example.html', server.url).href);
  await page.waitForFunction(() => globalThis.readmeResult, null, { timeout: 90_000 }).catch(() => {
    assert.fail(`the example did not finish: ${errors.join('; ')}`);
  });
  const result = await page.evaluate(() => globalThis.readmeResult);
  assert.deepEqual(result, { usesWorker: true, endpoint: new URL('hub', server.url).href });
  assert.deepEqual(errors, []);
  // onProgress logged "bytesRead bytesDeduplicated bytesUploaded", ending with the whole file read.
  const last = logged.filter((l) => /^\d+ \d+ \d+$/.test(l)).at(-1);
  assert.equal(last?.split(' ')[0], String(content.length), logged.join('\n'));
  const back = await alice.getBucketFile('alice/photos', { path: 'beach.txt' });
  assert.equal(new TextDecoder().decode(back), content);
});

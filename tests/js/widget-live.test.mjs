// The upload widget follows the bucket's change feed (issue 13): two Chromium pages on the widget
// (through the demo server's /hub proxy), a file uploaded in one appears in the other within 2 s,
// as does a file uploaded from Node (another client, like the CLI) — no refresh. The proxy must
// stream the event stream, not buffer it: checked directly first.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDemoStack } from './helpers/browser.mjs';
import { BucketClient } from 'hf-buckets';

let stack;
let tmp;

before(async () => {
  stack = await startDemoStack();
  tmp = await mkdtemp(path.join(tmpdir(), 'hf-buckets-live-'));
});

after(async () => {
  await stack?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const hubClient = () => new BucketClient({ endpoint: stack.hub.hub, accessToken: stack.hub.token });

test('the demo server streams the change feed through /hub (ready arrives, the stream stays open)', async () => {
  const { bucketId } = await hubClient().createBucket('live-proxy', { existOk: true });
  const controller = new AbortController();
  const response = await fetch(`${stack.server.url}hub/api/buckets/${bucketId}/events`, {
    headers: { accept: 'text/event-stream' },
    signal: controller.signal,
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/event-stream/);
  const reader = response.body.getReader();
  const first = await Promise.race([
    reader.read(),
    new Promise((_, reject) => setTimeout(() => reject(new Error('no event within 5 s: buffered?')), 5000)),
  ]);
  assert.equal(first.done, false, 'the stream is still open after its first event');
  assert.match(new TextDecoder().decode(first.value), /event: ready/);
  // A change arrives live through the proxy too.
  await hubClient().batchBucketFiles(bucketId, { add: [{ destination: 'p.txt', xetHash: '0'.repeat(64) }] });
  let text = '';
  while (!text.includes('p.txt')) {
    const { value, done } = await reader.read();
    assert.equal(done, false);
    text += new TextDecoder().decode(value);
  }
  controller.abort();
});

test('two widget pages: an upload in one appears in the other within 2 s, and one from Node too', { timeout: 120_000 }, async (t) => {
  const { browser, server } = stack;
  const name = 'live-two-pages';
  const bucketId = `${server.user}/${name}`;
  await hubClient().createBucket(name, { existOk: true });
  const pages = [];
  for (let i = 0; i < 2; i++) {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`# page error: ${error.message}`));
    await page.goto(server.url);
    await page.waitForSelector(`.hfb-bucket[data-bucket="${bucketId}"]`);
    await page.click(`.hfb-bucket[data-bucket="${bucketId}"]`);
    pages.push(page);
  }
  const [a, b] = pages;
  // Let both watchers connect (their first request is the feed).
  await new Promise((r) => setTimeout(r, 500));

  await writeFile(path.join(tmp, 'from-a.bin'), randomBytes(64 * 1024));
  await a.setInputFiles('input[data-role="file-input"]', path.join(tmp, 'from-a.bin'));
  await a.waitForSelector('li.hfb-upload[data-path="from-a.bin"][data-status="done"]', { timeout: 60_000 });
  const started = Date.now();
  await b.waitForSelector('tr.hfb-file[data-path="from-a.bin"]', { timeout: 2000 });
  console.log(`# page B showed page A's upload ${Date.now() - started} ms after it finished`);

  // Another client (what the CLI would do): both pages show it, and a delete removes it.
  await hubClient().uploadBucketFile(bucketId, { source: new TextEncoder().encode('cli'), destination: 'from-node.txt' });
  await Promise.all(pages.map((p) => p.waitForSelector('tr.hfb-file[data-path="from-node.txt"]', { timeout: 2000 })));
  await hubClient().batchBucketFiles(bucketId, { delete: ['from-node.txt'] });
  await Promise.all(pages.map((p) => p.waitForSelector('tr.hfb-file[data-path="from-node.txt"]', { state: 'detached', timeout: 2000 })));
});

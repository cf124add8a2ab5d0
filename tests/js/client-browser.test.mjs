// The bucket client in headless Chromium (Debian's, through playwright-core) against local-hub:
// the same scenarios as client.test.mjs, run inside a page that imports the browser entry point
// (js/browser/index.js: top-level await, wasm fetched next to the bindings). The repository's
// js/, dist/ and tests/js/helpers/ are served from a loopback static server; local-hub is
// another origin, so CORS is exercised too. The admin API is reached through a function exposed
// by Node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { scenarios } from './helpers/client-scenarios.mjs';
import { startClientHub } from './helpers/client-env.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVED = ['js/', 'dist/', 'tests/js/helpers/'];
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let server;
let browser;
let page;
let local;
let hubInfo;

before(async () => {
  ({ local, hubInfo } = await startClientHub());
  server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^[/\\]+/, '');
    if (path === '') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>hf-buckets client</title>');
      return;
    }
    if (path.includes(`..${sep}`) || !SERVED.some((p) => path.startsWith(p))) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(ROOT + path);
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  page = await browser.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e));
  await page.exposeFunction('hubAdmin', (method, route, body) => local.admin(method, route, body));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  await local?.stop();
});

for (const mode of ['client', 'free']) {
  for (const s of scenarios) {
    test(`chromium ${mode}: ${s.name}`, async () => {
      const result = await page.evaluate(
        async ({ name, mode, hub }) => {
          const lib = await import('/js/browser/index.js');
          const wasm = await import('/dist/client/hf_buckets_client.js');
          const { scenarios } = await import('/tests/js/helpers/client-scenarios.mjs');
          const scenario = scenarios.find((x) => x.name === name);
          globalThis.__n = globalThis.__n ?? 0;
          const ctx = {
            lib,
            mode,
            hub,
            admin: (m, r, b) => globalThis.hubAdmin(m, r, b),
            livePagers: () => wasm.__livePagers(),
            uniq: (p) => `${p}-b${mode[0]}-${(globalThis.__n++).toString(36)}-${Math.random().toString(36).slice(2, 7)}`,
          };
          try {
            await scenario.run(ctx);
            return { ok: true };
          } catch (e) {
            return { ok: false, message: `${e?.name}: ${e?.message}\n${e?.stack ?? ''}` };
          }
        },
        { name: s.name, mode, hub: hubInfo },
      );
      assert.ok(result.ok, result.message);
    });
  }
}

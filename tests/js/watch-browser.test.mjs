// `watchBucket` in headless Chromium against local-hub (another origin: CORS and a streamed
// `fetch` body in a page): the same scenarios as watch.test.mjs, run inside a page that imports
// the browser entry point. The admin API is reached through a function exposed by Node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { scenarios } from './helpers/watch-scenarios.mjs';
import { startClientHub } from './helpers/client-env.mjs';
import { openBrowserPage } from './helpers/browser.mjs';

let chrome;
let page;
let local;
let hubInfo;

before(async () => {
  ({ local, hubInfo } = await startClientHub());
  chrome = await openBrowserPage({ served: ['js/', 'dist/', 'tests/js/helpers/'], title: 'hf-buckets watch' });
  page = chrome.page;
  await page.exposeFunction('hubAdmin', (method, route, body) => local.admin(method, route, body));
  await chrome.open();
});

after(async () => {
  await chrome?.close();
  await local?.stop();
});

for (const s of scenarios) {
  test(`chromium: ${s.name}`, async () => {
    const result = await page.evaluate(
      async ({ name, hub }) => {
        const lib = await import('/js/browser/index.js');
        const wasm = await import('/dist/client/hf_buckets_client.js');
        const { scenarios } = await import('/tests/js/helpers/watch-scenarios.mjs');
        const scenario = scenarios.find((x) => x.name === name);
        globalThis.__n = globalThis.__n ?? 0;
        try {
          await scenario.run({
            lib,
            hub,
            admin: (m, r, b) => globalThis.hubAdmin(m, r, b),
            liveWatchers: () => wasm.__liveWatchers(),
            uniq: (p) => `${p}-b${(globalThis.__n++).toString(36)}-${Math.random().toString(36).slice(2, 7)}`,
          });
          return { ok: true };
        } catch (e) {
          return { ok: false, message: `${e?.name}: ${e?.message}\n${e?.stack ?? ''}` };
        }
      },
      { name: s.name, hub: hubInfo },
    );
    assert.ok(result.ok, result.message);
  });
}

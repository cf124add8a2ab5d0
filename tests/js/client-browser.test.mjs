// The bucket client in headless Chromium (Debian's, through playwright-core) against local-hub:
// the same scenarios as client.test.mjs, run inside a page that imports the browser entry point
// (js/browser/index.js: top-level await, wasm fetched next to the bindings). The repository's
// js/, dist/ and tests/js/helpers/ are served from a loopback static server; local-hub is
// another origin, so CORS is exercised too. The admin API is reached through a function exposed
// by Node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { scenarios } from './helpers/client-scenarios.mjs';
import { startClientHub } from './helpers/client-env.mjs';
import { openBrowserPage } from './helpers/browser.mjs';

let chrome;
let page;
let local;
let hubInfo;

before(async () => {
  ({ local, hubInfo } = await startClientHub());
  chrome = await openBrowserPage({ served: ['js/', 'dist/', 'tests/js/helpers/'], title: 'hf-buckets client' });
  page = chrome.page;
  await page.exposeFunction('hubAdmin', (method, route, body) => local.admin(method, route, body));
  await chrome.open();
});

after(async () => {
  await chrome?.close();
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

// A CAS that forges reconstruction sizes (helpers/hostile.mjs), in Node and in Chromium: every
// forged download rejects with a typed error or returns the right bytes, never wrong ones; the wasm
// instance survives (no `RuntimeError: unreachable`, no hang), and the same client then
// downloads the file correctly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as lib from 'hf-buckets';
import { startLocalHub } from './helpers/local-hub.mjs';
import { openBrowserPage } from './helpers/browser.mjs';
import { FORGERIES, runHostile } from './helpers/hostile.mjs';

let hub;
let chrome;

before(async () => {
  hub = await startLocalHub();
  chrome = await openBrowserPage({ served: ['js/', 'dist/', 'tests/js/helpers/'], title: 'hf-buckets hostile' });
  await chrome.open();
});

after(async () => {
  await chrome?.close();
  await hub?.stop();
});

function check(result) {
  const names = Object.keys(FORGERIES);
  assert.equal(Object.keys(result.outcomes).length, names.length * 2);
  assert.ok(result.forged >= names.length, `the forgeries were served (${result.forged})`);
  for (const [name, outcome] of Object.entries(result.outcomes)) {
    assert.match(outcome, /^(typed: |ok: the right bytes)/, `${name}: ${outcome}`);
  }
  assert.equal(result.after, true, 'the same client downloads the file correctly afterwards');
}

test('Node: forged reconstruction sizes are typed errors; the client keeps working', { timeout: 120_000 }, async () => {
  check(await runHostile(lib, { hub: hub.hub, token: hub.token }));
});

test('Chromium: forged reconstruction sizes are typed errors; the client keeps working', { timeout: 120_000 }, async () => {
  const result = await chrome.page.evaluate(async (h) => {
    const lib = await import('/js/browser/index.js');
    const { runHostile } = await import('/tests/js/helpers/hostile.mjs');
    return runHostile(lib, h);
  }, { hub: hub.hub, token: hub.token });
  check(result);
});

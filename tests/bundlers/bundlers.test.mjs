// The package as users build and run it (issue 15): packed with `npm pack`, installed from the
// tarball into a fresh app, then
//   - built with Vite (production build and dev server), webpack 5, esbuild (--splitting) and
//     Rollup, each build run in headless Chromium under a CSP without 'unsafe-eval': create a
//     bucket, upload a file, list, download and byte-compare, against local-hub;
//   - the same round trip in Bun and Deno (from npm), and in Node through `hf-buckets/manual`
//     (what a call before `init` does, what `init` accepts);
//   - a Cloudflare Worker (workerd from npm) that lists, serves a file and hands out CAS tokens.
// The configs and commands are the files in app/, quoted verbatim by the README ("Bundlers and
// runtimes"); the last test checks that they still are.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startLocalHub } from '../js/helpers/local-hub.mjs';
import {
  APP,
  REPO,
  freePort,
  installPackedApp,
  recipeCommand,
  runPage,
  serveBuild,
  sh,
  startChild,
  waitForHttp,
} from './helpers.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SIZE = 300_000;

let app;
let hub;
let browser;
let bucket;
const timings = {};

before(async () => {
  const t0 = Date.now();
  // in parallel; each is kept as soon as it is up, so `after` stops it whatever else failed
  const started = await Promise.allSettled([
    installPackedApp().then((v) => (app = v)),
    startLocalHub().then((v) => (hub = v)),
    chromium.launch({ executablePath: CHROMIUM, args: ARGS }).then((v) => (browser = v)),
  ]);
  for (const s of started) if (s.status === 'rejected') throw s.reason;
  bucket = `${hub.user}/bundlers`;
  timings.setup = Date.now() - t0;
});

after(async () => {
  await browser?.close();
  await hub?.stop();
  await app?.remove();
  console.log(`# timings (ms): ${JSON.stringify(timings)}`);
});

/** The round-trip parameters for one run (its own file in the shared bucket). */
const params = (name, seed) => ({ endpoint: hub.hub, token: hub.token, bucket, path: `${name}/file.bin`, size: SIZE, seed });

/** Checks one round trip's report. */
function assertRoundTrip(result, path) {
  assert.equal(result.ok ?? true, true, result.error);
  assert.equal(result.size, SIZE);
  assert.equal(result.same, true, 'downloaded bytes differ from the uploaded ones');
  assert.match(result.uploadedHash, /^[0-9a-f]{64}$/);
  assert.equal(result.listedHash, result.uploadedHash, `${path} not listed with its hash`);
  assert.equal(result.localHash, result.uploadedHash, 'hf-buckets/xet hashes differently from the Hub');
  assert.ok(result.listedPaths.includes(path));
  assert.deepEqual(result.problems ?? [], []);
}

/** Builds with `build()` in the app folder, serves `dist/`, runs the page. */
async function buildAndRun(name, seed, entry, build) {
  const t0 = Date.now();
  await rm(join(app.dir, 'dist'), { recursive: true, force: true });
  await build();
  timings[`${name} build`] = Date.now() - t0;
  const served = await serveBuild(join(app.dir, 'dist'), entry);
  try {
    const t1 = Date.now();
    assertRoundTrip(await runPage(browser, served.url, params(name, seed)), `${name}/file.bin`);
    timings[`${name} page`] = Date.now() - t1;
  } finally {
    await served.close();
  }
  return readdir(join(app.dir, 'dist'), { recursive: true });
}

test('the tarball holds the entries, their types and wasm, and no eval or new Function', async () => {
  for (const file of ['js/manual/index.js', 'js/manual/index.d.ts', 'js/xet/manual.js', 'js/xet/manual.d.ts',
    'js/workerd/index.js', 'js/xet/workerd.js', 'js/wasm-init.js', 'js/wasm-init.d.ts',
    'dist/client/hf_buckets_client_bg.wasm', 'dist/xet/hf_buckets_xet_bg.wasm']) {
    assert.ok(app.files.includes(file), `${file} not packed`);
  }
  const pkg = join(app.dir, 'node_modules', 'hf-buckets');
  for (const file of app.files.filter((f) => f.endsWith('.js'))) {
    const text = await readFile(join(pkg, file), 'utf8');
    assert.doesNotMatch(text, /\beval\s*\(|new\s+Function\s*\(/, `${file} evaluates code`);
  }
  const meta = JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8'));
  assert.ok(Array.isArray(meta.sideEffects), 'sideEffects must list the files that initialise wasm');
  for (const entry of ['./js/browser/index.js', './js/xet/browser.js', './js/workerd/index.js', './js/xet/workerd.js']) {
    assert.ok(meta.sideEffects.includes(entry), `${entry} not in sideEffects`);
  }
});

test('Vite production build (static imports of hf-buckets and hf-buckets/xet)', async () => {
  const files = await buildAndRun('vite-build', 1, null, () => sh('vite', ['build', '--logLevel', 'warn'], { cwd: app.dir }));
  assert.ok(files.some((f) => f.endsWith('.wasm')), 'no wasm emitted');
});

test('Vite dev server', async () => {
  const port = await freePort();
  const server = startChild('vite', ['--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: app.dir });
  try {
    const t0 = Date.now();
    await waitForHttp(`http://127.0.0.1:${port}/`, 60_000, server.output);
    // (served by Vite itself, without the CSP of serveBuild)
    assertRoundTrip(await runPage(browser, `http://127.0.0.1:${port}/`, params('vite-dev', 2)), 'vite-dev/file.bin');
    timings['vite-dev'] = Date.now() - t0;
  } finally {
    await server.stop();
  }
});

test('webpack 5 production build', async () => {
  const files = await buildAndRun('webpack', 3, 'main.js', () => sh('webpack', ['--config', 'webpack.config.js'], { cwd: app.dir }));
  assert.ok(files.some((f) => f.endsWith('.wasm')), 'no wasm emitted');
});

test('esbuild --bundle --splitting with hf-buckets/manual and the file loader', async () => {
  const [tool, args] = await recipeCommand('esbuild-page.sh');
  const files = await buildAndRun('esbuild', 4, 'manual.js', () => sh(tool, args, { cwd: app.dir }));
  assert.equal(files.filter((f) => f.endsWith('.wasm')).length, 2, 'both wasm files emitted');
});

test('Rollup with hf-buckets/manual', async () => {
  const files = await buildAndRun('rollup', 5, 'manual.js', () => sh('rollup', ['-c', '--silent'], { cwd: app.dir }));
  assert.equal(files.filter((f) => f.endsWith('.wasm')).length, 2, 'both wasm files emitted');
});

for (const [name, file, seed] of [['Bun', 'bun.sh', 6], ['Deno', 'deno.sh', 7]]) {
  test(`${name} (from npm) runs the round trip`, async () => {
    const [tool, args] = await recipeCommand(file);
    const t0 = Date.now();
    const out = await sh(tool, [...args, JSON.stringify(params(name.toLowerCase(), seed))], {
      cwd: app.dir,
      env: { DENO_DIR: join(app.dir, '.deno'), DENO_NO_UPDATE_CHECK: '1', BUN_INSTALL_CACHE_DIR: join(app.dir, '.bun') },
    });
    timings[name] = Date.now() - t0;
    assertRoundTrip(JSON.parse(out.trim().split('\n').pop()), `${name.toLowerCase()}/file.bin`);
  });
}

test('hf-buckets/manual in Node: typed errors before init, every kind of wasm source, a round trip', async () => {
  const out = JSON.parse(await sh(process.execPath, ['src/manual-node.js', JSON.stringify(params('node-manual', 8))], { cwd: app.dir }));
  for (const [what, e] of Object.entries(out.before)) {
    if (what === 'errorClassesWork') continue;
    assert.equal(e.name, 'InitError', `${what}: ${JSON.stringify(e)}`);
    assert.equal(e.code, 'NOT_INITIALIZED', what);
    assert.equal(e.isInit, true, what);
    assert.match(e.message, /call `await init\(\{ wasm \}\)` first/, what);
  }
  assert.match(out.before.construct.message, /hf-buckets\/client\.wasm/);
  assert.match(out.before.xetHash.message, /^hf-buckets\/xet\/manual: .*hf-buckets\/xet\.wasm/);
  assert.equal(out.before.errorClassesWork, true, 'error classes need no init');
  assert.equal(out.badArgument.code, 'INVALID_ARGUMENT');
  assert.equal(out.badBytes.code, 'INIT_FAILED');
  assert.equal(out.badBytes.cause, 'CompileError');
  assert.equal(out.whilePending.sync.code, 'NOT_INITIALIZED');
  assert.match(out.whilePending.sync.message, /has not finished/);
  assert.deepEqual(out.whilePending.promise, { ok: true }, 'a promise call during init waits for it');
  assert.deepEqual(out.again, { ok: true });
  assert.equal(out.afterSync.id, 'a/b');
  assert.equal(out.chunkerIsClass, true);
  assertRoundTrip(out.roundTrip, 'node-manual/file.bin');
});

test('the manual entries export what the automatic ones do, plus init', async () => {
  const keys = async (spec) =>
    JSON.parse(await sh(process.execPath, ['--input-type=module', '-e',
      `import * as m from '${spec}'; console.log(JSON.stringify(Object.keys(m).sort()))`], { cwd: app.dir }));
  const extra = ['InitError', 'init', 'isInitError'];
  const nodeOnly = ['applySyncPlan', 'downloadBucketFile', 'downloadBucketFiles', 'planSync', 'syncBucket'];
  assert.deepEqual(await keys('hf-buckets/manual'), [...(await keys('hf-buckets')).filter((k) => !nodeOnly.includes(k)), ...extra].sort());
  assert.deepEqual(await keys('hf-buckets/xet/manual'), [...(await keys('hf-buckets/xet')), ...extra].sort());
});

test('workerd (from npm): a Worker lists the bucket, serves a file and hands out CAS tokens', async () => {
  // the file the Worker serves, uploaded with this checkout's Node entry
  const { uploadBucketFile, createBucket } = await import('../../js/node/index.js');
  const { testBytes } = await import('./app/src/roundtrip.js');
  const bytes = testBytes(SIZE, 9);
  await createBucket(bucket, { endpoint: hub.hub, accessToken: hub.token, existOk: true });
  const { xetHash } = await uploadBucketFile(bucket, { source: bytes, destination: 'workerd/file.bin', endpoint: hub.hub, accessToken: hub.token });

  const t0 = Date.now();
  await rm(join(app.dir, 'dist'), { recursive: true, force: true });
  const [tool, args] = await recipeCommand('esbuild-worker.sh');
  await sh(tool, args, { cwd: app.dir });
  const port = await freePort();
  const [serve, serveArgs] = await recipeCommand('workerd.sh');
  const workerd = startChild(serve, [...serveArgs, '--socket-addr', `http=127.0.0.1:${port}`], {
    cwd: app.dir,
    env: { HF_ENDPOINT: hub.hub, HF_TOKEN: hub.token, BUCKET: bucket },
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/`, 30_000, workerd.output);
    const list = await fetch(`${base}/list`);
    const listed = await list.json();
    assert.equal(list.status, 200, JSON.stringify(listed));
    assert.equal(listed.find((e) => e.path === 'workerd/file.bin')?.xetHash, xetHash);

    const file = await fetch(`${base}/file?path=workerd/file.bin`);
    const body = new Uint8Array(await file.arrayBuffer());
    assert.equal(file.status, 200, new TextDecoder().decode(body.slice(0, 500)));
    assert.equal(file.headers.get('x-xet-hash'), xetHash, 'hf-buckets/xet in the Worker');
    assert.deepEqual(body, bytes);

    const token = await (await fetch(`${base}/cas-token`)).json();
    assert.equal(typeof token.accessToken, 'string');
    assert.notEqual(token.accessToken, hub.token, 'never the hf_ token');
    assert.equal(token.casUrl, hub.cas);
    assert.ok(token.exp > Date.now() / 1000);
    timings.workerd = Date.now() - t0;
  } catch (e) {
    e.message += `\n--- workerd output\n${workerd.output()}`;
    throw e;
  } finally {
    await workerd.stop();
  }
});

test('the README recipes are the files these tests build', async () => {
  const readme = await readFile(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Bundlers and runtimes'));
  assert.ok(section.length < readme.length, 'README has a "Bundlers and runtimes" section');
  for (const file of ['webpack.config.js', 'rollup.config.js', 'esbuild-page.sh', 'src/manual.js',
    'bun.sh', 'deno.sh', 'src/worker.js', 'esbuild-worker.sh', 'workerd.capnp', 'workerd.sh']) {
    const text = (await readFile(join(APP, file), 'utf8')).trim();
    assert.ok(section.includes(text), `README "Bundlers and runtimes" does not quote app/${file} verbatim`);
  }
});

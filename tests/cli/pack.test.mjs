// `npm pack`, then `npx ./hf-buckets-*.tgz ls` in a fresh folder with no repository around it:
// the published package carries everything the command needs (issue 14).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startLocalHub } from '../js/helpers/local-hub.mjs';
import { cli, cliEnv, repoRoot } from './helpers.mjs';

const run = promisify(execFile);
let hub;

before(async () => {
  hub = await startLocalHub();
});

after(async () => {
  await hub?.stop();
});

test('npx ./hf-buckets-*.tgz runs the command from the packed package', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hf-buckets-npx-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = {
    ...cliEnv(hub),
    npm_config_cache: path.join(dir, '.npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  };
  await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: repoRoot, env });
  const [tgz] = readdirSync(dir).filter((f) => /^hf-buckets-.*\.tgz$/.test(f));
  assert.ok(tgz, 'npm pack wrote a tarball');
  const { stdout: listing } = await run('tar', ['-tzf', path.join(dir, tgz)]);
  assert.match(listing, /^package\/js\/cli\/bin\.js$/m);
  assert.doesNotMatch(listing, /^package\/tests\//m);

  const app = mkdtempSync(path.join(dir, 'app-'));
  const made = await cli(['create', 'from-npx', '-q'], { env });
  assert.equal(made.code, 0, made.stderr);
  const { stdout } = await run('npx', ['--yes', `../${tgz}`, 'ls', '--json'], { cwd: app, env, timeout: 180_000 });
  assert.deepEqual(JSON.parse(stdout).map((b) => b.id), [`${hub.user}/from-npx`]);
  // A usage error from the installed package: exit 2, one line.
  const bad = await run('npx', ['--yes', `../${tgz}`, 'bogus'], { cwd: app, env }).catch((e) => e);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, "Error: No such command 'bogus'. (see 'hf-buckets --help')\n");
});

test('npx hf-buckets runs the command from the repository (offline: never the registry)', async () => {
  const env = { ...cliEnv(hub), npm_config_offline: 'true', npm_config_update_notifier: 'false' };
  const { stdout } = await run('npx', ['hf-buckets', 'create', 'from-repo', '-q'], { cwd: repoRoot, env });
  assert.equal(stdout, `hf://buckets/${hub.user}/from-repo\n`);
});

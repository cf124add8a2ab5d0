// The README's `hf-buckets` API section is runnable as written: its ```js blocks, joined in order,
// run as one ES module in Node against local-hub with HF_ENDPOINT / HF_TOKEN set, as the README
// tells users to do against the real Hub.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startLocalHub } from './helpers/local-hub.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let local;

before(async () => {
  local = await startLocalHub();
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

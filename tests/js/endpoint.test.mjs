// The `endpoint` option in Node, where there is no `location`: a relative endpoint is a
// ValidationError that says why, at construction and from every free function, before any
// request; absolute ones keep working. (In a page or worker a relative endpoint resolves against
// the location: endpoint-browser.test.mjs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as hf from 'hf-buckets';

const RELATIVE = ['/hub', 'hub', './hub/', '//127.0.0.1:1/hub', '?x'];

/** Asserts `error` is the package's ValidationError explaining the relative endpoint `endpoint`. */
function assertRelative(error, endpoint) {
  assert.ok(error instanceof hf.ValidationError, `${endpoint}: ${error}`);
  assert.equal(error.name, 'ValidationError');
  assert.ok(hf.isValidationError(error));
  assert.equal(error.retryable, false);
  assert.ok(error.message.includes(JSON.stringify(endpoint)), error.message);
  assert.match(error.message, /option `endpoint`/);
  assert.match(error.message, /is relative/);
  assert.match(error.message, /no page or worker location/);
  assert.match(error.message, /pass an absolute http:\/\/ or https:\/\/ URL/);
}

test('a relative endpoint is a ValidationError at construction, saying why', () => {
  assert.equal(globalThis.location, undefined, 'Node has no location');
  for (const endpoint of RELATIVE) {
    let thrown;
    try {
      new hf.BucketClient({ endpoint });
    } catch (error) {
      thrown = error;
    }
    assertRelative(thrown, endpoint);
  }
  // …also with the worker option (which falls back to this thread in Node).
  assert.throws(() => new hf.BucketClient({ endpoint: '/hub', worker: true }), (e) => {
    assertRelative(e, '/hub');
    return true;
  });
});

test('the free functions reject a relative endpoint before sending anything', async () => {
  let requests = 0;
  const fetch = (...args) => {
    requests++;
    return globalThis.fetch(...args);
  };
  const options = { endpoint: '/hub', fetch };
  const calls = [
    () => hf.whoami(options),
    () => hf.bucketInfo('alice/photos', options),
    () => hf.createBucket('photos', options),
    () => hf.getPathsInfo('alice/photos', ['a.txt'], options),
    () => hf.uploadBucketFile('alice/photos', { ...options, source: new Uint8Array(3), destination: 'a.bin' }),
    () => hf.getBucketFile('alice/photos', { ...options, path: 'a.bin' }),
    async () => {
      for await (const b of hf.listBuckets(options)) assert.fail(`listed ${b.id}`);
    },
    async () => {
      for await (const e of hf.listBucketTree('alice/photos', options)) assert.fail(`listed ${e.path}`);
    },
  ];
  for (const call of calls) {
    await assert.rejects(call, (e) => {
      assertRelative(e, '/hub');
      return true;
    });
  }
  assert.equal(requests, 0, 'no request was sent');
});

test('absolute endpoints are kept (trailing slash dropped); other schemes are refused', () => {
  assert.equal(new hf.BucketClient({ endpoint: 'http://127.0.0.1:1/hub/' }).endpoint, 'http://127.0.0.1:1/hub');
  assert.equal(new hf.BucketClient({ endpoint: 'HTTPS://example.com' }).endpoint, 'HTTPS://example.com');
  assert.equal(new hf.BucketClient({}).endpoint, 'https://huggingface.co');
  for (const endpoint of ['ftp://example.com', 'example.com:443', 'file:///hub', '']) {
    assert.throws(() => new hf.BucketClient({ endpoint }), (e) => {
      assert.equal(e.name, 'ValidationError', endpoint);
      assert.match(e.message, /must be an absolute http:\/\/ or https:\/\/ URL/, endpoint);
      assert.doesNotMatch(e.message, /relative/, endpoint);
      return true;
    });
  }
});

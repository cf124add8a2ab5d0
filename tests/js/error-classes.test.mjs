// One error hierarchy across both entries: the same bad input gets the same class (name,
// `retryable`, `code`) from `hf-buckets/xet` and from the client, and each entry's guard accepts
// the other's error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BucketClient, ValidationError, isValidationError } from 'hf-buckets';
import { hashToBytes, isXetError, XetError } from 'hf-buckets/xet';

const BAD_HASHES = ['zz', 'ab'.repeat(31), `${'ab'.repeat(31)}gg`, 'ab'.repeat(33)];

function caughtSync(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('did not throw');
}

/** What both entries must agree on. */
const shape = (e) => ({ name: e.name, retryable: e.retryable, code: e.code, isError: e instanceof Error });

test('a bad hash: the same class from hf-buckets/xet and from the client', async () => {
  // No request may go out for invalid input: an endpoint nobody listens on, and a token
  // provider that fails the test if called.
  const client = new BucketClient({ endpoint: 'http://127.0.0.1:9', retry: { retries: 0 } });
  const tokenProvider = () => assert.fail('a request was attempted');
  for (const bad of BAD_HASHES) {
    const fromXet = caughtSync(() => hashToBytes(bad));
    const fromClient = await client
      .getBucketFile('me/b', { xetHash: bad, size: 1, tokenProvider })
      .then(() => assert.fail('resolved'), (e) => e);
    const fromBatch = await client
      .batchBucketFiles('me/b', { add: [{ destination: 'a', xetHash: bad }] })
      .then(() => assert.fail('resolved'), (e) => e);
    const expected = { name: 'ValidationError', retryable: false, code: 'INVALID_HASH', isError: true };
    for (const e of [fromXet, fromClient, fromBatch]) assert.deepEqual(shape(e), expected, `${bad}: ${e.message}`);
    // Each entry's guard accepts the other entry's error.
    for (const e of [fromXet, fromClient, fromBatch]) {
      assert.ok(isValidationError(e), e.message);
      assert.ok(isXetError(e), e.message);
    }
    assert.ok(fromXet instanceof XetError);
    assert.ok(fromClient instanceof ValidationError && fromBatch instanceof ValidationError);
  }
});

test('other bad input is INVALID_ARGUMENT from both entries', async () => {
  const client = new BucketClient({ endpoint: 'http://127.0.0.1:9', retry: { retries: 0 } });
  const fromXet = caughtSync(() => hashToBytes(42));
  const fromClient = await client.bucketInfo('not a bucket id').then(() => assert.fail('resolved'), (e) => e);
  for (const e of [fromXet, fromClient]) {
    assert.deepEqual(shape(e), { name: 'ValidationError', retryable: false, code: 'INVALID_ARGUMENT', isError: true });
  }
});

// Fixtures shared by the sync tests (Node and Chromium).
import assert from 'node:assert/strict';

/**
 * Creates the bucket `name` through `hub` (a BucketClient) holding `files`
 * ({ path: [content, mtimeMs | undefined] }), and returns its id.
 */
export async function bucketWithFiles(hub, name, files = {}) {
  const { bucketId } = await hub.createBucket(name);
  const add = Object.entries(files).map(([destination, [content, mtime]]) => ({
    source: new TextEncoder().encode(content),
    destination,
    mtime,
  }));
  if (add.length) {
    const r = await hub.batchBucketFiles(bucketId, { add });
    assert.ok(r.success, JSON.stringify(r));
  }
  return bucketId;
}

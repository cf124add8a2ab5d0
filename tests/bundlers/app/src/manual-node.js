// `hf-buckets/manual` and `hf-buckets/xet/manual` in Node, from the installed tarball: what a
// call before `init` does, what `init` accepts, and a round trip once it is done. Prints one
// JSON object of observations for the test to check. (Nothing else of the package is imported:
// the automatic entries would initialise the same generated bindings.)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as manual from 'hf-buckets/manual';
import * as xet from 'hf-buckets/xet/manual';
import { roundTrip } from './roundtrip.js';

const params = JSON.parse(process.argv[2]);
const out = {};
const describe = (e) => ({ name: e?.name, code: e?.code, message: e?.message, isInit: manual.isInitError(e), cause: e?.cause?.name });
const attempt = async (fn) => {
  try {
    await fn();
    return { ok: true };
  } catch (e) {
    return describe(e);
  }
};

out.before = {
  construct: await attempt(() => new manual.BucketClient({ endpoint: params.endpoint })),
  promise: await attempt(() => manual.bucketInfo(params.bucket, { endpoint: params.endpoint })),
  iterate: await attempt(async () => {
    for await (const _ of manual.listBuckets({ endpoint: params.endpoint })) break;
  }),
  sync: await attempt(() => manual.parseHfUri('hf://buckets/a/b')),
  xetChunker: await attempt(() => new xet.Chunker()),
  xetHash: await attempt(() => xet.fileHash(new Uint8Array(3))),
  errorClassesWork: new manual.NotFoundError('x') instanceof manual.HubError,
};
out.badArgument = await attempt(() => manual.init({ wasm: 42 }));
out.badBytes = await attempt(() => xet.init({ wasm: new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]) }));

const require = createRequire(import.meta.url);
const clientBytes = readFileSync(require.resolve('hf-buckets/client.wasm'));
const xetBytes = readFileSync(require.resolve('hf-buckets/xet.wasm'));
// client: a compiled WebAssembly.Module; xet: a Response (as from fetch)
const initClient = manual.init({ wasm: await WebAssembly.compile(clientBytes) });
out.whilePending = {
  sync: await attempt(() => manual.parseHfUri('hf://buckets/a/b')),
  // a promise-returning call made while init runs waits for it
  promise: await attempt(() => manual.whoami({ endpoint: params.endpoint, accessToken: params.token })),
};
await initClient;
await xet.init({ wasm: new Response(xetBytes, { headers: { 'content-type': 'application/wasm' } }) });
out.again = await attempt(() => manual.init({ wasm: 'ignored once initialised' }));
out.afterSync = manual.parseHfUri('hf://buckets/a/b');
out.chunkerIsClass = new xet.Chunker() instanceof xet.Chunker;
out.roundTrip = await roundTrip({ BucketClient: manual.BucketClient, fileHash: xet.fileHash }, params);
console.log(JSON.stringify(out));

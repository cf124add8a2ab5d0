import { init, BucketClient } from 'hf-buckets/manual';
import { init as initXet, fileHash } from 'hf-buckets/xet/manual';
import clientWasm from 'hf-buckets/client.wasm';
import xetWasm from 'hf-buckets/xet.wasm';
import { runInPage } from './roundtrip.js';

await Promise.all([init({ wasm: clientWasm }), initXet({ wasm: xetWasm })]);
runInPage({ BucketClient, fileHash });

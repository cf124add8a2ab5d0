// Type tests for `hf-buckets/manual` and `hf-buckets/xet/manual`: the same API as the automatic
// entries plus `init`, `InitError` and `isInitError`. Checked with NodeNext resolution
// (tsconfig.json) and with `bundler` resolution (tsconfig.bundler.json).
import * as auto from 'hf-buckets';
import * as autoXet from 'hf-buckets/xet';
import {
  BucketClient,
  InitError,
  NotFoundError,
  init,
  isInitError,
  listBucketTree,
  type BucketTreeEntry,
  type InitOptions,
  type WasmSource,
} from 'hf-buckets/manual';
import { Chunker, fileHash, init as initXet, isXetError, type ChunkInfo } from 'hf-buckets/xet/manual';

declare const bytes: Uint8Array;
declare const module: WebAssembly.Module;

const sources: WasmSource[] = [
  'https://example.com/hf_buckets_client_bg.wasm',
  new URL('https://example.com/x.wasm'),
  new Response('wasm bytes'),
  fetch('/x.wasm'),
  module,
  bytes,
  bytes.buffer as ArrayBuffer,
];
const options: InitOptions = { wasm: sources[0] };
const ready: Promise<void> = init(options);
const readyXet: Promise<void> = initXet({ wasm: module });
const defaultLocation: Promise<void> = init();

async function use(): Promise<void> {
  try {
    new BucketClient();
  } catch (e) {
    if (isInitError(e)) {
      const code: 'NOT_INITIALIZED' | 'INVALID_ARGUMENT' | 'INIT_FAILED' = e.code;
      const name: 'InitError' = e.name;
      void code, name;
    }
  }
  const error: Error = new InitError('x', { code: 'INIT_FAILED', cause: new Error('y') });
  const client: auto.BucketClient = new BucketClient({ endpoint: 'http://127.0.0.1:1' });
  for await (const entry of listBucketTree('me/b')) {
    const e: BucketTreeEntry = entry;
    void e;
  }
  const chunks: ChunkInfo[] = new Chunker().push(bytes);
  const hash: string = fileHash(bytes);
  const sameFn: typeof autoXet.fileHash = fileHash;
  const guard: boolean = isXetError(error) || new NotFoundError('z') instanceof auto.HubError;
  void client, chunks, hash, sameFn, guard;
}

void ready, readyXet, defaultLocation, use;

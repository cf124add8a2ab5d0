// Type checks of the main entry (`hf-buckets`, js/index.d.ts): every export is used with its
// documented types, and wrong uses are rejected (@ts-expect-error fails the build when a line
// unexpectedly type-checks).
import {
  BucketClient,
  createBucket,
  deleteBucket,
  bucketInfo,
  listBuckets,
  listBucketTree,
  getPathsInfo,
  updateBucketSettings,
  getFileMetadata,
  fileExists,
  whoami,
  moveBucket,
  batchBucketFiles,
  copyFiles,
  parseHfUri,
  formatHfUri,
  HubError,
  NotFoundError,
  AuthError,
  ForbiddenError,
  ConflictError,
  RateLimitError,
  ServerError,
  NetworkError,
  TimeoutError,
  ValidationError,
  IntegrityError,
  ProtocolError,
  AbortError,
  BadRequestError,
  isHubError,
  isNotFoundError,
  isAbortError,
  isTimeoutError,
  type BucketInfo,
  type FileMetadata,
  type BucketTreeEntry,
  type BatchReport,
  type CreatedBucket,
  type HfUri,
  type ClientOptions,
  type WhoAmI,
  type BucketFile,
} from 'hf-buckets';

const options: ClientOptions = {
  accessToken: 'hf_x',
  endpoint: 'http://127.0.0.1:8080',
  fetch: (url, init) => fetch(url, init),
  retry: { retries: 2, initialDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000, timeoutMs: 0 },
};
const noRetry: ClientOptions = { retry: false };
// @ts-expect-error retries is a number
const badRetry: ClientOptions = { retry: { retries: '2' } };

async function client(): Promise<void> {
  const hub = new BucketClient(options);
  const endpoint: string = hub.endpoint;
  const signal = AbortSignal.timeout(1000);

  const made: CreatedBucket = await hub.createBucket('b', { namespace: 'org', private: true, existOk: true, region: 'eu', signal });
  const id: string = made.bucketId;
  const handle: string = made.handle;
  const created: boolean = made.created;

  const info: BucketInfo = await hub.bucketInfo(id, { signal });
  const when: Date = info.createdAt;
  const count: number = info.totalFiles;
  const updated: Date | undefined = info.updatedAt;

  for await (const b of hub.listBuckets({ namespace: 'org', search: 'ck', signal })) {
    const bid: string = b.id;
  }
  for await (const e of hub.listBucketTree(id, { prefix: 'run1/', recursive: false, limit: 100, signal })) {
    if (e.type === 'file') {
      const hash: string = e.xetHash;
      const size: number = e.size;
      const mtime: Date | undefined = e.mtime;
    } else {
      const p: string = e.path;
      // @ts-expect-error directories have no size
      e.size;
    }
  }
  const files: BucketFile[] = await hub.getPathsInfo(id, ['a', 'b'], { signal });
  const settled: void = await hub.updateBucketSettings(id, { private: false, signal });
  const meta: FileMetadata = await hub.getFileMetadata(id, 'a.bin', { signal });
  const metaSize: number = meta.size;
  const metaHash: string = meta.xetHash;
  const modified: Date | undefined = meta.lastModified;
  const etag: string | undefined = meta.etag;
  const mime: string | undefined = meta.contentType;
  const exists: boolean = await hub.fileExists(id, 'a.bin', { signal });
  // @ts-expect-error private is required
  hub.updateBucketSettings(id, {});
  // @ts-expect-error private is a boolean
  hub.updateBucketSettings(id, { private: 'yes' });
  // @ts-expect-error the path is required
  hub.fileExists(id);
  const me: WhoAmI = await hub.whoami({ signal });
  const name: string = me.name;
  await hub.moveBucket({ fromId: id, toId: 'org/other', signal });
  const r: BatchReport = await hub.batchBucketFiles(id, {
    add: [{ destination: 'e', xetHash: '0'.repeat(64), mtime: new Date(), contentType: 'text/plain' }],
    copy: [{ destination: 'c', xetHash: '0'.repeat(64), sourceType: 'dataset', sourceId: 'a/b', mtime: 1 }],
    delete: ['x'],
    signal,
  });
  const ok: boolean = r.success;
  const failedPaths: string[] = r.failed.map((f) => f.path);
  const skipped: string[] = r.skipped.map((f) => f.error);
  const c: BatchReport = await hub.copyFiles({ source: 'hf://buckets/a/b/x', destination: 'hf://buckets/a/c/', signal });
  const gone: void = await hub.deleteBucket(id, { missingOk: true, signal });

  // @ts-expect-error recursive is a boolean
  hub.listBucketTree(id, { recursive: 'yes' });
  // @ts-expect-error copyFiles needs a destination
  hub.copyFiles({ source: 'hf://buckets/a/b' });
  // @ts-expect-error sourceType is one of four literals
  hub.batchBucketFiles(id, { copy: [{ destination: 'c', xetHash: 'h', sourceId: 'a/b', sourceType: 'kernel' }] });
}

async function free(): Promise<void> {
  const o = { accessToken: 'hf_x', endpoint: 'http://127.0.0.1:8080' };
  const made: CreatedBucket = await createBucket('b', { ...o, existOk: true });
  const info: BucketInfo = await bucketInfo(made.bucketId, o);
  for await (const b of listBuckets({ ...o, search: 'x' })) b.private satisfies boolean;
  const entries: BucketTreeEntry[] = [];
  for await (const e of listBucketTree(made.bucketId, { ...o, prefix: 'a' })) entries.push(e);
  await getPathsInfo(made.bucketId, ['a'], o);
  await updateBucketSettings(made.bucketId, { ...o, private: true });
  const m: FileMetadata = await getFileMetadata(made.bucketId, 'a', o);
  const there: boolean = await fileExists(made.bucketId, 'a', o);
  await whoami(o);
  await moveBucket({ ...o, fromId: 'a/b', toId: 'a/c' });
  await batchBucketFiles('a/b', { ...o, delete: ['x'] });
  await copyFiles({ ...o, source: 'hf://datasets/a/b@v1/x', destination: 'hf://buckets/a/b/' });
  await deleteBucket('a/b', { ...o, missingOk: true });
  // @ts-expect-error bucketInfo needs an id
  await bucketInfo();
}

function uris(): void {
  const u: HfUri = parseHfUri('hf://buckets/a/b/c', { endpoint: 'http://h' });
  const t: 'bucket' | 'model' | 'dataset' | 'space' | 'kernel' = u.type;
  const rev: string | undefined = u.revision;
  const s: string = formatHfUri({ type: 'dataset', id: 'a/b', revision: 'v1', path: 'x', trailingSlash: true });
  // @ts-expect-error unknown type
  formatHfUri({ type: 'buckets', id: 'a/b' });
}

function errors(e: unknown): void {
  if (isHubError(e)) {
    const status: number | undefined = e.status;
    const code: string | undefined = e.code;
    const requestId: string | undefined = e.requestId;
    const retryable: boolean = e.retryable;
    const cause: unknown = e.cause;
  }
  if (isNotFoundError(e)) {
    const n: 'NotFoundError' = e.name;
  }
  if (isAbortError(e)) e.cause;
  if (isTimeoutError(e)) {
    const n: NetworkError = e;
  }
  if (e instanceof RateLimitError) {
    const ms: number | undefined = e.retryAfterMs;
  }
  const all: HubError[] = [
    new NotFoundError('x'),
    new AuthError('x', { status: 401 }),
    new ForbiddenError('x'),
    new ConflictError('x'),
    new ServerError('x'),
    new NetworkError('x'),
    new TimeoutError('x'),
    new ValidationError('x'),
    new IntegrityError('x'),
    new ProtocolError('x'),
    new AbortError('x', { cause: 'reason' }),
    new BadRequestError('x'),
  ];
}

export { client, free, uris, errors, noRetry, badRetry };

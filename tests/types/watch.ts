// Type checks of `watchBucket` (js/index.d.ts): events narrow on `type`, options are typed.
import {
  BucketClient,
  watchBucket,
  type BucketWatchEvent,
  type BucketChangeEvent,
  type WatchBucketOptions,
  type WatchTiming,
} from 'hf-buckets';

async function watch(): Promise<void> {
  const hub = new BucketClient({ accessToken: 'hf_x' });
  const controller = new AbortController();
  const timing: WatchTiming = { healthyDelayMs: 50, backoffMs: 100, backoffMaxMs: 800, readTimeoutMs: 2000, connectTimeoutMs: 2000, maxUnhealthy: 3 };
  const options: WatchBucketOptions = { prefix: 'run1/', initial: true, timing, signal: controller.signal };
  const files = new Map<string, BucketChangeEvent>();
  let cursor: string | undefined;
  for await (const e of hub.watchBucket('me/b', options)) {
    if (e.type === 'ready') {
      cursor = e.cursor;
      // @ts-expect-error ready events have no path
      e.path;
      continue;
    }
    const path: string = e.path;
    const size: number | undefined = e.size;
    const mtime: Date | undefined = e.mtime;
    const uploadedAt: Date | undefined = e.uploadedAt;
    const hash: string | undefined = e.xetHash;
    if (e.type === 'delete') files.delete(path);
    else files.set(path, e);
    cursor = e.cursor ?? cursor;
    break;
  }
  const events: BucketWatchEvent[] = [];
  for await (const e of watchBucket('me/b', { accessToken: 'hf_x', endpoint: 'http://h', since: new Date(), prefix: 'a' })) events.push(e);
  if (cursor) hub.watchBucket('me/b', { cursor });
  hub.watchBucket('me/b', { since: '2026-03-01T09:00:00.000Z' });
  // @ts-expect-error initial is a boolean
  hub.watchBucket('me/b', { initial: 'yes' });
  // @ts-expect-error timing values are numbers
  hub.watchBucket('me/b', { timing: { backoffMs: '1s' } });
  // @ts-expect-error event types are the four literals
  const t: BucketWatchEvent['type'] = 'reset';
}

// Async iteration over a Rust pager (src/bindings/iter.rs): one `nextPage` call per page, whole
// pages cross the boundary, items are yielded one by one. The pager is created lazily (so input
// errors surface from the first `next()`, before any request) and freed in `finally`, so a
// `break` out of `for await` stops fetching and releases the Rust state at once. `watchBucket`
// uses it too: its watcher (src/bindings/watch.rs) has the same `nextPage`/`free` shape, and
// freeing it closes the feed's connection.

/**
 * @template T
 * @param {() => { nextPage(options: { signal?: AbortSignal }): Promise<T[] | null>, free(): void }} makePager
 * @param {AbortSignal | undefined} signal
 * @param {() => void} [onDone] called once the listing ends (e.g. to free a temporary client)
 * @returns {AsyncGenerator<T, void, undefined>}
 */
export async function* pages(makePager, signal, onDone) {
  let pager;
  try {
    pager = makePager();
    for (;;) {
      const page = await pager.nextPage({ signal });
      if (page === null) return;
      yield* page;
    }
  } finally {
    pager?.free();
    onDone?.();
  }
}

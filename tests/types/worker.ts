// The `worker` option and `usesWorker()` (js/worker, the demo issue), through the package's exports.
import { BucketClient } from "hf-buckets";

const inWorker = new BucketClient({ endpoint: "https://example.test", worker: true });
const fromUrl = new BucketClient({ worker: { url: new URL("https://cdn.example/hf-buckets/js/worker/worker.js") } });
const fromString = new BucketClient({ worker: { url: "/static/worker.js" } });
const off = new BucketClient({ worker: false });
const uses: Promise<boolean> = inWorker.usesWorker();
void [fromUrl, fromString, off, uses];

// @ts-expect-error a string is not a worker setting
new BucketClient({ worker: "yes" });
// @ts-expect-error usesWorker is async
const sync: boolean = inWorker.usesWorker();
void sync;

// The app as most users write it: static imports of the entries, nothing to initialise.
import { BucketClient } from 'hf-buckets';
import { ParallelChunker, fileHash, fileHashFromChunks } from 'hf-buckets/xet';
import { runInPage } from './roundtrip.js';

runInPage({ BucketClient, fileHash, ParallelChunker, fileHashFromChunks });

// Bun and Deno: the package as a server-side runtime resolves it (no build step).
import { BucketClient } from 'hf-buckets';
import { fileHash } from 'hf-buckets/xet';
import { roundTrip } from './roundtrip.js';

const params = JSON.parse(globalThis.Deno ? Deno.args[0] : process.argv[2]);
console.log(JSON.stringify(await roundTrip({ BucketClient, fileHash }, params)));

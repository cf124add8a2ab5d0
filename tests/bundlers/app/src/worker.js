// A Cloudflare Worker: lists a bucket, serves its files, and hands out read-only CAS tokens
// (so a page can download with `tokenProvider` and never see the hf_ token).
import { BucketClient } from 'hf-buckets';
import { fileHash } from 'hf-buckets/xet';

async function casToken(env) {
  const url = `${env.HF_ENDPOINT}/api/buckets/${env.BUCKET}/xet-read-token`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${env.HF_TOKEN}` } });
  if (!res.ok) throw new Error(`token route: HTTP ${res.status}`);
  const { accessToken, exp, casUrl } = await res.json();
  return { accessToken, exp, casUrl };
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const hub = new BucketClient({ accessToken: env.HF_TOKEN, endpoint: env.HF_ENDPOINT });
    try {
      if (url.pathname === '/list') {
        const files = [];
        for await (const entry of hub.listBucketTree(env.BUCKET, { recursive: true })) files.push(entry);
        return Response.json(files);
      }
      if (url.pathname === '/file') {
        const bytes = await hub.getBucketFile(env.BUCKET, {
          path: url.searchParams.get('path'),
          tokenProvider: () => casToken(env),
        });
        return new Response(bytes, { headers: { 'x-xet-hash': fileHash(bytes) } });
      }
      if (url.pathname === '/cas-token') return Response.json(await casToken(env));
      return new Response('not found', { status: 404 });
    } catch (error) {
      return Response.json({ name: error?.name, message: error?.message }, { status: 500 });
    }
  },
};

"""Writes the seeds of the `plan` and `hub_answers` targets (run from fuzz/: python3 seeds/make_new_seeds.py).

plan: consistent reconstructions (V1 and V2, whole and partial, with and without `want`) of the
3-chunk xorb of tests/vectors (`xorb_3_chunks`, stored as seeds/xorb/xorb3_*_upload), followed by
its chunk records; plus the reconstruction seeds with those records.
hub_answers: batch answers (200, 422 with failures, empty) and tree/bucket pages with links.
"""
import json
import os
import struct

XORB = "fb015a0f3ede212cdd7a968db3db14b87253036befa21acc47169f3bf2ffef8e"
CUTS = [0, 100, 4100, 6000]


# The Xet file hash of a file made of the xorb's three chunks (as fileHashFromChunks computes it).
FILE_HASH = "c0bdc6f2b7d98d2afc8b0ba5ce1410afb646ebda715da338c2a973740afa7712"


def plan_seed(name, flags, want, recon, body):
    js = json.dumps(recon).encode()
    head = bytes([flags]) + struct.pack("<Q", want) + struct.pack("<H", len(js))
    if flags & 4:
        head += FILE_HASH.encode()
    with open(f"seeds/plan/{name}", "wb") as f:
        f.write(head + js + body)


def v2(first, last, byte_start, byte_end, offset=0):
    return {
        "offset_into_first_range": offset,
        "terms": [{"hash": XORB, "range": {"start": first, "end": last}, "unpacked_length": CUTS[last] - CUTS[first]}],
        "xorbs": {XORB: [{"url": "http://cas.test/x", "ranges": [{"chunks": {"start": first, "end": last}, "bytes": {"start": byte_start, "end": byte_end}}]}]},
    }


def v1(first, last, byte_start, byte_end, offset=0):
    return {
        "offset_into_first_range": offset,
        "terms": [{"hash": XORB, "range": {"start": first, "end": last}, "unpacked_length": CUTS[last] - CUTS[first]}],
        "fetch_info": {XORB: [{"range": {"start": first, "end": last}, "url": "http://cas.test/x", "url_range": {"start": byte_start, "end": byte_end}}]},
    }


none = open("seeds/xorb/xorb3_none_upload", "rb").read()
lz4 = open("seeds/xorb/xorb3_lz4_upload", "rb").read()
rec0 = 8 + 100  # chunk 0's record in the uncompressed xorb: header + data
for make, tag, fl in ((v2, "v2", 0), (v1, "v1", 1)):
    plan_seed(f"whole_none_{tag}", fl | 4, 0, make(0, 3, 0, len(none) - 1), none)
    plan_seed(f"whole_lz4_{tag}", fl | 4, 0, make(0, 3, 0, len(lz4) - 1), lz4)
    plan_seed(f"want_100_{tag}", fl | 2, 100, make(0, 3, 0, len(none) - 1, offset=50), none)
    plan_seed(f"partial_none_{tag}", fl, 0, make(1, 3, rec0, len(none) - 1), none[rec0:])
for name in sorted(os.listdir("seeds/reconstruction")):
    js = open(f"seeds/reconstruction/{name}", "rb").read()
    fl = 1 if name.endswith("_v1.json") else 0
    with open(f"seeds/plan/recon_{name[:-5]}", "wb") as f:
        f.write(bytes([fl]) + struct.pack("<Q", 0) + struct.pack("<H", len(js)) + js + none)


def answers(name, items):
    out = b""
    for selector, link, body in items:
        link, body = link.encode(), body.encode()
        out += bytes([selector, len(link)]) + link + struct.pack("<H", len(body)) + body
    with open(f"seeds/hub_answers/{name}", "wb") as f:
        f.write(out)


ENTRY = '{"type":"file","path":"a/x.bin","size":5,"xetHash":"%s","mtime":"2026-01-01T00:00:00.000Z","uploadedAt":"2026-01-01T00:00:00Z"}' % ("ab" * 32)
DIR = '{"type":"directory","path":"a/d","uploadedAt":"2026-01-01T00:00:00Z"}'
BUCKET = '{"id":"fuzz/bucket","private":false,"createdAt":"2026-01-01T00:00:00.000Z","size":10,"totalFiles":2}'
NEXT = '<http://hub.test/api/buckets/fuzz/bucket/tree/a?recursive=true&cursor=eyJwYXRoIjoiYSJ9>; rel="next"'
# selector: 0-2 → 200, 3 → 422, 4 → 400, 5 → 404, 6 → 500, 7 → 204
BUCKETS_NEXT = '<http://hub.test/api/buckets/fuzz?cursor=eyJwYXRoIjoiYiJ9>; rel="next"'
# In turn: the batch answer, the tree pages (until one has no next link), the bucket pages.
answers("batch_ok_then_pages", [(0, "", '{"success":true,"processed":2,"succeeded":2,"failed":[]}'), (0, NEXT, f"[{ENTRY},{DIR}]"), (0, "", f"[{ENTRY}]"), (0, BUCKETS_NEXT, f"[{BUCKET}]"), (0, "", "[]")])
answers("batch_422", [(3, "", '{"success":false,"processed":2,"succeeded":1,"failed":[{"path":"a.bin","error":"unknown xet hash"}]}'), (0, "", f"[{ENTRY}]"), (0, "", f"[{BUCKET}]")])
answers("empty_answers", [(7, "", ""), (0, "", "[]"), (0, "", "[]")])
answers("repeated_link", [(0, NEXT, "{}"), (0, NEXT, "[]"), (0, NEXT, "[]"), (0, NEXT, "[]")])
answers("error_bodies", [(6, "", '{"error":"boom"}'), (4, "", "not json"), (5, "", '{"error":"RepoNotFound"}')])

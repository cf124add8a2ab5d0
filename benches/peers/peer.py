"""One benchmark operation with the official Python client (huggingface_hub + hf_xet), in a fresh
process. Run by benches/js/peers-bench.mjs; prints one JSON line {"ms": …, "maxRssKiB": …}
(plus "uploads": the files a sync uploaded).

    python peer.py upload   ENDPOINT BUCKET FILES_JSON   # FILES_JSON: [[local_path, remote_path], …]
    python peer.py download ENDPOINT BUCKET FILES_JSON   # FILES_JSON: [[remote_path, local_path], …]
    python peer.py sync     ENDPOINT BUCKET FILES_JSON   # FILES_JSON: [[local_dir, "hf://buckets/…"]]

FILES_JSON may also be @path, a file that holds it (long lists do not fit in one argument).

The token comes from $HF_TOKEN. Only the operation itself is timed (not the interpreter start-up
or the imports), as for the other clients.
"""

import json
import os
import resource
import sys
import time


def main() -> None:
    op, endpoint, bucket, files_json = sys.argv[1:5]
    if files_json.startswith("@"):  # @path of a file holding FILES_JSON
        with open(files_json[1:], encoding="utf-8") as f:
            files_json = f.read()
    files = json.loads(files_json)
    from huggingface_hub import HfApi

    api = HfApi(endpoint=endpoint, token=os.environ["HF_TOKEN"])
    start = time.perf_counter()
    cpu_start = time.process_time()  # every thread of the process
    uploads = None
    if op == "upload":
        api.batch_bucket_files(bucket, add=[(local, remote) for local, remote in files])
    elif op == "download":
        api.download_bucket_files(bucket, [(remote, local) for remote, local in files], raise_on_missing_files=True)
    elif op == "sync":
        [[source, dest]] = files
        plan = api.sync_bucket(source, dest, quiet=True)
        uploads = plan.summary()["uploads"]
    else:
        raise SystemExit(f"unknown operation {op!r}")
    ms = (time.perf_counter() - start) * 1000
    cpu_ms = (time.process_time() - cpu_start) * 1000
    max_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"ms": ms, "cpuMs": cpu_ms, "maxRssKiB": max_rss_kib, "uploads": uploads}))


if __name__ == "__main__":
    main()

"""Interop of the transfer engine with the official Python client (huggingface_hub + hf_xet from
PyPI, unmodified) through local-hub: files uploaded by hf-buckets download byte-identical with
the Python client, files uploaded by the Python client download byte-identical with hf-buckets,
and hf-buckets deduplicates against content the Python client stored.

Run: .venv/bin/python -m pytest -q tests/python/test_transfer_interop.py (needs `npm run build`
and the local-hub binary: $LOCAL_HUB_BIN, else target/debug/local-hub).
"""

import hashlib
import json
import pathlib
import random
import subprocess


ROOT = pathlib.Path(__file__).resolve().parents[2]
NODE_SIDE = ROOT / "tests" / "python" / "transfer_node.mjs"
MIB = 1 << 20


def node(hub, command, bucket, arg):
    result = subprocess.run(
        ["node", str(NODE_SIDE), command, hub["hub"], hub["token"], bucket, json.dumps(arg)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def sha(data):
    return hashlib.sha256(data).hexdigest()


def test_hf_buckets_uploads_download_with_python(api, hub, tmp_path):
    bucket = f"{hub['user']}/from-js"
    api.create_bucket("from-js")
    files = [
        {"path": "empty.bin", "seed": 1, "size": 0},
        {"path": "one.bin", "seed": 2, "size": 1},
        {"path": "small.bin", "seed": 3, "size": 8191},
        {"path": "mid.bin", "seed": 4, "size": 3 * MIB + 17},
        {"path": "deep/big.bin", "seed": 5, "size": 70 * MIB},  # two xorbs
    ]
    uploaded = node(hub, "upload", bucket, files)
    out = tmp_path / "out"
    api.download_bucket_files(bucket, [(f["path"], out / f["path"]) for f in files])
    for f in files:
        data = (out / f["path"]).read_bytes()
        assert len(data) == f["size"], f["path"]
        assert sha(data) == uploaded[f["path"]]["sha256"], f["path"]
    infos = {i.path: i for i in api.get_bucket_paths_info(bucket, [f["path"] for f in files])}
    for f in files:
        assert infos[f["path"]].xet_hash == uploaded[f["path"]]["xetHash"]
        assert infos[f["path"]].size == f["size"]


def test_python_uploads_download_with_hf_buckets(api, hub, tmp_path):
    bucket = f"{hub['user']}/from-py"
    api.create_bucket("from-py")
    rng = random.Random(99)
    contents = {
        "p/empty.txt": b"",
        "p/one.bin": b"x",
        "p/config.json": b'{"hello": "xet"}\n' * 1000,
        "p/rand.bin": rng.randbytes(5 * MIB + 3),
        "p/big.bin": rng.randbytes(66 * MIB),
    }
    adds = []
    for path, data in contents.items():
        local = tmp_path / path.replace("/", "_")
        local.write_bytes(data)
        adds.append((str(local), path))
    api.batch_bucket_files(bucket, add=adds)
    got = node(hub, "download", bucket, list(contents))
    for path, data in contents.items():
        assert got[path]["size"] == len(data), path
        assert got[path]["sha256"] == sha(data), path
        if len(data) > 10:
            assert got[path]["rangeSha256"] == sha(data[3:-3]), path

    # hf-buckets deduplicates against what the Python client stored: re-uploading the 66 MiB
    # file (same bytes, written by Node from the same seed is not possible, so reuse the file
    # through a path source) sends almost nothing.
    big = tmp_path / "p_big.bin"
    script = (
        "import { BucketClient } from 'hf-buckets';"
        f"const hub = new BucketClient({{ endpoint: {json.dumps(hub['hub'])}, accessToken: {json.dumps(hub['token'])} }});"
        f"const r = await hub.uploadBucketFile({json.dumps(bucket)}, {{ source: {json.dumps(str(big))}, destination: 'again.bin' }});"
        "console.log(JSON.stringify({ sent: r.upload.bytesSent, hash: r.xetHash }));"
    )
    result = subprocess.run(["node", "--input-type=module", "-e", script], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    again = json.loads(result.stdout.strip().splitlines()[-1])
    assert again["sent"] < MIB, again
    py_hash = {i.path: i.xet_hash for i in api.get_bucket_paths_info(bucket, ["p/big.bin"])}["p/big.bin"]
    assert again["hash"] == py_hash

"""Interop: the official Python client (huggingface_hub + hf_xet from PyPI, unmodified)
against local-hub, with HF_ENDPOINT pointing at it.

Run: .venv/bin/python -m pytest -q tests/python   (venv from `bash scripts/setup.sh`)
The local-hub binary is $LOCAL_HUB_BIN, else target/debug/local-hub (cargo build -p local-hub).
"""

import pytest

BOB_TOKEN = "hf_bob_interop_token"
LOCAL_HUB_ARGS = ["--token", f"bob:{BOB_TOKEN}:write"]


def test_whoami(api, hub):
    assert api.whoami()["name"] == hub["user"]


def test_bucket_round_trip(api, hub, tmp_path):
    from huggingface_hub.errors import BucketNotFoundError

    user = hub["user"]
    bucket_id = f"{user}/interop"

    url = api.create_bucket("interop")  # bare name → `me` namespace
    assert url.bucket_id == bucket_id
    assert url.url == f"{hub['hub']}/buckets/{bucket_id}"
    api.create_bucket(bucket_id, exist_ok=True)  # 409 → exist_ok
    api.create_bucket("interop-private", private=True)

    # Files: bytes, a 20 MiB file from disk, an empty file, a nested one.
    big = tmp_path / "model.bin"
    rng = __import__("random").Random(1234)
    big_bytes = rng.randbytes(20 * 1024 * 1024)
    big.write_bytes(big_bytes)
    small = b'{"hello": "buckets"}\n'
    nested = tmp_path / "nested.json"
    nested.write_text('{"a": [1, 2, 3]}\n')
    api.batch_bucket_files(
        bucket_id,
        add=[
            (small, "config.json"),
            (str(big), "ckpt/model.bin"),
            (b"", "empty.txt"),
            (nested, "ckpt/sub/nested.json"),
        ],
    )

    # Tree, recursive (default for the server when the client omits it) and not.
    files = list(api.list_bucket_tree(bucket_id, recursive=True))
    by_path = {f.path: f for f in files}
    assert sorted(by_path) == ["ckpt/model.bin", "ckpt/sub/nested.json", "config.json", "empty.txt"]
    assert all(type(f).__name__ == "BucketFile" for f in files)
    assert by_path["ckpt/model.bin"].size == len(big_bytes)
    assert by_path["empty.txt"].size == 0
    assert by_path["config.json"].uploaded_at is not None and by_path["config.json"].mtime is not None
    top = list(api.list_bucket_tree(bucket_id, recursive=False))
    assert sorted((type(e).__name__, e.path) for e in top) == [
        ("BucketFile", "config.json"),
        ("BucketFile", "empty.txt"),
        ("BucketFolder", "ckpt"),
    ]
    sub = list(api.list_bucket_tree(bucket_id, prefix="ckpt", recursive=False))
    assert sorted(e.path for e in sub) == ["ckpt/model.bin", "ckpt/sub"]
    assert sorted(f.path for f in api.list_bucket_tree(bucket_id, prefix="ckpt/sub")) == ["ckpt/sub/nested.json"]

    # Paths info: missing paths are left out.
    infos = list(api.get_bucket_paths_info(bucket_id, ["config.json", "ckpt/model.bin", "missing.bin"]))
    assert sorted(i.path for i in infos) == ["ckpt/model.bin", "config.json"]
    model_hash = by_path["ckpt/model.bin"].xet_hash
    assert len(model_hash) == 64

    meta = api.get_bucket_file_metadata(bucket_id, "ckpt/model.bin")
    assert meta.size == len(big_bytes)
    assert meta.xet_file_data.file_hash == model_hash

    # Download (hf_xet through the CAS front) and compare bytes.
    out = tmp_path / "out"
    api.download_bucket_files(
        bucket_id,
        [
            ("config.json", out / "config.json"),
            ("ckpt/model.bin", out / "model.bin"),
            ("empty.txt", out / "empty.txt"),
            ("ckpt/sub/nested.json", out / "nested.json"),
        ],
    )
    assert (out / "config.json").read_bytes() == small
    assert (out / "model.bin").read_bytes() == big_bytes
    assert (out / "empty.txt").read_bytes() == b""
    assert (out / "nested.json").read_bytes() == nested.read_bytes()

    info = api.bucket_info(bucket_id)
    assert info.id == bucket_id and info.private is False
    assert info.total_files == 4
    assert info.size == len(small) + len(big_bytes) + len(nested.read_bytes())

    listed = {b.id: b for b in api.list_buckets()}
    assert {bucket_id, f"{user}/interop-private"} <= set(listed)
    assert listed[f"{user}/interop-private"].private is True
    assert [b.id for b in api.list_buckets(search="private")] == [f"{user}/interop-private"]
    assert [b.id for b in api.list_buckets(user, token=BOB_TOKEN)] == [bucket_id], "others see public buckets only"
    with pytest.raises(BucketNotFoundError):
        api.bucket_info(f"{user}/interop-private", token=BOB_TOKEN)

    # Server-side copy by hash, then delete files.
    api.batch_bucket_files(bucket_id, copy=[("bucket", bucket_id, model_hash, "copy/model.bin")])
    api.batch_bucket_files(bucket_id, delete=["config.json", "copy/model.bin"])
    remaining = sorted(f.path for f in api.list_bucket_tree(bucket_id, recursive=True))
    assert remaining == ["ckpt/model.bin", "ckpt/sub/nested.json", "empty.txt"]

    # Move, then delete.
    moved = f"{user}/interop-moved"
    api.move_bucket(bucket_id, moved)
    assert api.bucket_info(moved).total_files == 3
    with pytest.raises(BucketNotFoundError):
        api.bucket_info(bucket_id)
    api.delete_bucket(moved)
    with pytest.raises(BucketNotFoundError):
        api.bucket_info(moved)
    with pytest.raises(BucketNotFoundError):
        api.delete_bucket(moved)
    api.delete_bucket(moved, missing_ok=True)

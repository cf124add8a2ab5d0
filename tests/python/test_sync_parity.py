"""Parity of `planSync` (hf-buckets) with `hf buckets sync --dry-run` of the official CLI
(huggingface_hub 2.4.0, unmodified), both against one local-hub: on a generated tree, the two
print the same plan file (JSON Lines) byte for byte, once the header's `timestamp` (the clock
at planning time) is set aside. Covers upload and download, with and without `delete`,
`include`/`exclude`, a filter file, `existing`/`ignoreExisting`, `ignoreTimes`/`ignoreSizes`,
and bucket prefixes (folder-boundary rule). Plan files saved by the CLI (`--plan FILE`) are read
back by `parseSyncPlan` and written again byte for byte.

The tree has nested folders, hidden files, unicode names, empty files, `logs` / `logs.txt` /
`logs/` / `logs-old/` sharing a prefix, and files changed in size only, in mtime only (newer,
older, within the 1-second window, sub-millisecond times) and in content only.

Also: plan files written by each client are applied by the other (`--apply` and
`applySyncPlan(parseSyncPlan(…))`), with the same end state, upload and download.

Run: .venv/bin/python -m pytest -q tests/python/test_sync_parity.py (needs the built package and
the local-hub binary: $LOCAL_HUB_BIN, else target/debug/local-hub).
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
NODE_SIDE = ROOT / "tests" / "python" / "sync_node.mjs"
HF = pathlib.Path(sys.executable).parent / "hf"

T0 = 1_771_408_800  # 2026-02-18T10:00:00Z, seconds
NS = 1_000_000_000

# path -> (content, mtime in ns) of the bucket (uploaded with these mtimes, kept as whole ms)
REMOTE = {
    "README.md": (b"# readme\n", T0 * NS),
    "same.bin": (b"same content", T0 * NS + 512_000_000),
    "size-only.bin": (b"short", T0 * NS),
    "mtime-newer.bin": (b"0123456789", T0 * NS),
    "mtime-older.bin": (b"0123456789", T0 * NS + 10 * NS),
    "mtime-window.bin": (b"0123456789", T0 * NS),
    "content-only.bin": (b"AAAA", T0 * NS),
    "empty-remote.txt": (b"", T0 * NS),
    "logs.txt": (b"log file", T0 * NS),
    "logs/a.log": (b"a" * 100, T0 * NS),
    "logs/deep/b.log": (b"b" * 10, T0 * NS + 900_000_000),
    "logs-old/c.log": (b"c", T0 * NS),
    "remote-only/x.tmp": (b"tmp", T0 * NS),
    "remote-only/keep.txt": (b"keep", T0 * NS),
    "ünïcödé/日本.txt": (b"unicode remote", T0 * NS),
    ".hidden/remote": (b"h", T0 * NS),
}

# path -> (content, mtime in ns) of the local directory
LOCAL = {
    "README.md": (b"# readme\n", T0 * NS + 123_456_789),
    "same.bin": (b"same content", T0 * NS + 512_000_000),
    "size-only.bin": (b"longer content", T0 * NS),
    "mtime-newer.bin": (b"0123456789", T0 * NS + 5 * NS + 1),
    "mtime-older.bin": (b"0123456789", T0 * NS),
    "mtime-window.bin": (b"0123456789", T0 * NS + 999_999_999),
    "content-only.bin": (b"BBBB", T0 * NS),
    "empty.txt": (b"", T0 * NS + 1),
    "logs.txt": (b"log file", T0 * NS + 2 * NS),
    "logs/a.log": (b"a" * 100, T0 * NS),
    "logs/new.log": (b"new", T0 * NS),
    "logs-old/c.log": (b"c", T0 * NS - 3 * NS),
    "local-only/y.tmp": (b"tmp", T0 * NS),
    "local-only/sub/z.bin": (b"zzz", T0 * NS),
    "ünïcödé/日本.txt": (b"unicode local!", T0 * NS),
    "ünïcödé/émoji 😀.txt": (b"smile", T0 * NS),
    ".hidden/local": (b"hl", T0 * NS),
    "a b/c d.txt": (b"spaces", T0 * NS),
}

FILTER_FILE = "# keep logs but not deep ones\n- logs/deep/*\n+ logs/*\n- *.bin\n"


def write_tree(root, files):
    for path, (data, mtime_ns) in files.items():
        p = root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        os.utime(p, ns=(mtime_ns, mtime_ns))


@pytest.fixture(scope="module")
def setup(api, hub, tmp_path_factory):
    base = tmp_path_factory.mktemp("sync-parity")
    staging = base / "staging"
    write_tree(staging, REMOTE)
    api.create_bucket("sync-parity")
    bucket = f"{hub['user']}/sync-parity"
    api.batch_bucket_files(bucket, add=[(str(staging / p), p) for p in REMOTE])
    local = base / "local"
    write_tree(local, LOCAL)
    # A folder symlink (neither followed nor listed) and a file symlink (uploaded as a file).
    (local / "link-to-logs").symlink_to(local / "logs", target_is_directory=True)
    (local / "link-to-readme.md").symlink_to(local / "README.md")
    (local / "broken-link").symlink_to(local / "does-not-exist")
    filters = base / "filters.txt"
    filters.write_text(FILTER_FILE)
    return {"bucket": bucket, "local": local, "base": base, "filters": str(filters)}


FLAGS = {
    "delete": "--delete",
    "ignoreTimes": "--ignore-times",
    "ignoreSizes": "--ignore-sizes",
    "existing": "--existing",
    "ignoreExisting": "--ignore-existing",
}


def python_plan(hub, source, dest, options):
    args = [str(HF), "buckets", "sync", source, dest, "--dry-run"]
    for key, flag in FLAGS.items():
        if options.get(key):
            args.append(flag)
    for pattern in options.get("include", []):
        args += ["--include", pattern]
    for pattern in options.get("exclude", []):
        args += ["--exclude", pattern]
    if "filterFrom" in options:
        args += ["--filter-from", options["filterFrom"]]
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, env=os.environ.copy())
    assert result.returncode == 0, result.stderr
    return result.stdout


def node_plan(hub, source, dest, options):
    arg = json.dumps({"source": source, "destination": dest, **options})
    result = subprocess.run(
        ["node", str(NODE_SIDE), "plan", hub["hub"], hub["token"], arg],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


TIMESTAMP = re.compile(r'"timestamp": "[^"]*"')


def same_plan(hub, source, dest, options):
    py = python_plan(hub, source, dest, options)
    js = node_plan(hub, source, dest, options)
    assert '"error"' not in js.splitlines()[0], js
    py, js = TIMESTAMP.sub('"timestamp": "T"', py), TIMESTAMP.sub('"timestamp": "T"', js)
    assert js == py
    return [json.loads(line) for line in js.splitlines()]


CASES = [
    {},
    {"delete": True},
    {"include": ["*.txt", "logs/*"]},
    {"exclude": ["*.tmp", "logs/deep/*"], "delete": True},
    {"include": ["*.log"], "exclude": ["logs/a*"], "delete": True},
    {"existing": True},
    {"existing": True, "delete": True},
    {"ignoreExisting": True},
    {"ignoreExisting": True, "delete": True},
    {"ignoreTimes": True},
    {"ignoreSizes": True},
    {"ignoreSizes": True, "delete": True},
    {"filterFrom": None, "delete": True},
]


def case_id(options):
    return ",".join(sorted(options)) or "default"


@pytest.mark.parametrize("options", CASES, ids=case_id)
def test_upload_plans_match(hub, setup, options):
    options = {**options, **({"filterFrom": setup["filters"]} if "filterFrom" in options else {})}
    ops = same_plan(hub, str(setup["local"]), f"hf://buckets/{setup['bucket']}", options)
    assert len(ops) > 1


@pytest.mark.parametrize("options", CASES, ids=case_id)
def test_download_plans_match(hub, setup, options):
    options = {**options, **({"filterFrom": setup["filters"]} if "filterFrom" in options else {})}
    ops = same_plan(hub, f"hf://buckets/{setup['bucket']}", str(setup["local"]), options)
    assert len(ops) > 1


@pytest.mark.parametrize(
    "prefix,delete",
    [("logs", False), ("logs", True), ("logs/", True), ("logs.txt", False), ("ünïcödé", True)],
)
def test_prefixes_follow_the_folder_boundary(hub, setup, prefix, delete):
    uri = f"hf://buckets/{setup['bucket']}/{prefix}"
    local = setup["local"] / "logs"
    down = same_plan(hub, uri, str(local), {"delete": delete})
    up = same_plan(hub, str(local), uri, {"delete": delete})
    assert len(down) > 1 and len(up) > 1


def test_download_into_a_missing_folder(hub, setup):
    missing = setup["base"] / "not-yet"
    ops = same_plan(hub, f"hf://buckets/{setup['bucket']}", str(missing), {"delete": True})
    assert {op["action"] for op in ops[1:]} == {"download"}
    assert not missing.exists()


def test_upload_to_a_missing_bucket_is_all_new(hub, setup):
    ops = same_plan(hub, str(setup["local"]), f"hf://buckets/{hub['user']}/no-such-bucket", {"delete": True})
    assert {op["action"] for op in ops[1:]} == {"upload"}



@pytest.mark.parametrize("direction", ["upload", "download"])
def test_official_plan_files_read_back_byte_for_byte(hub, setup, tmp_path, direction):
    remote, local = f"hf://buckets/{setup['bucket']}", str(setup["local"])
    source, dest = (local, remote) if direction == "upload" else (remote, local)
    plan_file = tmp_path / f"{direction}.jsonl"
    args = [str(HF), "buckets", "sync", source, dest, "--delete", "--plan", str(plan_file)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, env=os.environ.copy())
    assert result.returncode == 0, result.stderr
    text = plan_file.read_text()
    assert len(text.splitlines()) > 10
    again = subprocess.run(
        ["node", str(NODE_SIDE), "reformat", str(plan_file)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout == text


def bucket_state(api, bucket, tmp_path):
    """{path: bytes} of every file of `bucket`, downloaded with the official client."""
    paths = sorted(f.path for f in api.list_bucket_tree(bucket, recursive=True) if f.type == "file")
    out = tmp_path / f"state-{bucket.replace('/', '-')}"
    api.download_bucket_files(bucket, [(p, out / p) for p in paths])
    return {p: (out / p).read_bytes() for p in paths}


def local_state(root):
    """{relative path: bytes} of every file under `root`."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("direction", ["upload", "download"])
def test_plan_files_cross_apply(api, hub, tmp_path, direction):
    """A plan written by `hf buckets sync --plan` is applied by `applySyncPlan(parseSyncPlan(…))`,
    and one written by `planSync` is applied by `hf buckets sync --apply`: same end state, and
    not the start state (the plan moved files both ways round)."""
    ends = {}
    for writer in ("python", "node"):
        name = f"cross-{direction}-{writer}"
        api.create_bucket(name)
        bucket = f"{hub['user']}/{name}"
        staging = tmp_path / f"staging-{writer}"
        write_tree(staging, REMOTE)
        api.batch_bucket_files(bucket, add=[(str(staging / p), p) for p in REMOTE])
        local = tmp_path / f"local-{writer}"
        write_tree(local, LOCAL)
        remote = f"hf://buckets/{bucket}"
        source, dest = (str(local), remote) if direction == "upload" else (remote, str(local))
        plan_file = tmp_path / f"{writer}.jsonl"
        if writer == "python":
            args = [str(HF), "buckets", "sync", source, dest, "--delete", "--plan", str(plan_file)]
            made = subprocess.run(args, capture_output=True, text=True, timeout=300, env=os.environ.copy())
            assert made.returncode == 0, made.stderr
            applied = subprocess.run(
                ["node", str(NODE_SIDE), "apply", hub["hub"], hub["token"], str(plan_file)],
                cwd=ROOT, capture_output=True, text=True, timeout=300,
            )
            assert applied.returncode == 0, applied.stderr
            report = json.loads(applied.stdout.splitlines()[-1])
            assert "error" not in report, report
            assert report["failed"] == [] and report["missing"] == [], report
            moved = report["uploaded"] + report["downloaded"] + report["deleted"]
            assert moved == report["plan"]["uploads"] + report["plan"]["downloads"] + report["plan"]["deletes"] > 0
        else:
            plan_file.write_text(node_plan(hub, source, dest, {"delete": True}))
            applied = subprocess.run(
                [str(HF), "buckets", "sync", "--apply", str(plan_file)],
                capture_output=True, text=True, timeout=300, env=os.environ.copy(),
            )
            assert applied.returncode == 0, applied.stderr
        ends[writer] = bucket_state(api, bucket, tmp_path) if direction == "upload" else local_state(local)
    start = {p: data for p, (data, _) in (LOCAL if direction == "download" else REMOTE).items()}
    assert ends["python"] != start
    assert ends["node"] == ends["python"]

"""The official client's live follow sees what hf-buckets does (issue 13).

`HfFileSystem(live_follow=True)` (huggingface_hub 2.4.0) follows local-hub's change feed and
invalidates its cached listings; files uploaded and deleted by an hf-buckets script in Node show
up in `fs.ls` without any manual invalidation. A second file system without live follow keeps
its stale cached listing: the control that shows the feed is what made the difference.
"""

import json
import pathlib
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def node(hub, script):
    """Runs an ES module snippet in Node with `hub` (endpoint, token) and `BucketClient` in scope."""
    prelude = (
        "import { BucketClient } from 'hf-buckets';"
        f"const hub = new BucketClient({{ endpoint: {json.dumps(hub['hub'])}, accessToken: {json.dumps(hub['token'])} }});"
    )
    result = subprocess.run(
        ["node", "--input-type=module", "-e", prelude + script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def names(fs, bucket):
    return sorted(entry["name"].rsplit("/", 1)[-1] for entry in fs.ls(f"buckets/{bucket}", detail=True))


def wait_for(condition, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture
def bucket(api, hub):
    bucket_id = f"{hub['user']}/live-follow-{int(time.time() * 1000)}"
    api.create_bucket(bucket_id)
    return bucket_id


def test_live_follow_sees_hf_buckets_uploads_and_deletes(hub, bucket):
    from huggingface_hub import HfFileSystem

    node(hub, f"await hub.uploadBucketFile({json.dumps(bucket)}, {{ source: new TextEncoder().encode('one'), destination: 'first.txt' }});")
    live = HfFileSystem(endpoint=hub["hub"], token=hub["token"], skip_instance_cache=True, live_follow=True)
    stale = HfFileSystem(endpoint=hub["hub"], token=hub["token"], skip_instance_cache=True, live_follow=False)
    # The first listing caches the folder (and starts the follower of the live one).
    assert names(live, bucket) == ["first.txt"]
    assert names(stale, bucket) == ["first.txt"]
    time.sleep(1.0)  # let the follower connect (it replays from the bucket's updatedAt anyway)

    node(hub, f"await hub.uploadBucketFile({json.dumps(bucket)}, {{ source: new TextEncoder().encode('two'), destination: 'second.txt' }});")
    assert wait_for(lambda: names(live, bucket) == ["first.txt", "second.txt"]), names(live, bucket)
    assert names(stale, bucket) == ["first.txt"], "without live follow the cached listing stays stale"

    node(hub, f"await hub.batchBucketFiles({json.dumps(bucket)}, {{ delete: ['first.txt'] }});")
    assert wait_for(lambda: names(live, bucket) == ["second.txt"]), names(live, bucket)
    info = live.info(f"buckets/{bucket}/second.txt")
    assert info["size"] == 3

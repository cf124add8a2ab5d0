"""Wiring of the official huggingface_hub bucket tests to local-hub (see run.py).

Only the endpoint, users, orgs and tokens are ours: one fresh local-hub is started when this file is
imported (before any test module, whose classes read `ENDPOINT_STAGING` at import time), with the
users, org and tokens of the suite's `testing_constants.py`; `ENDPOINT_STAGING` is then pointed at
it. The environment is what the suite's own pytest settings set (no token from the environment),
plus an isolated HF_HOME. No test is edited: tests that need a Hub feature local-hub does not
emulate are deselected by node id below, each with its reason (also in local-hub/README.md).
"""

import os
import pathlib
import sys
import tempfile

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import local_hub  # noqa: E402  (our start-up helper, next to this file)

from . import testing_constants as suite  # noqa: E402

HUB = local_hub.LocalHub()
HUB.add_user(suite.USER, suite.TOKEN, fullname=suite.FULL_NAME)
HUB.add_user(suite.OTHER_USER, suite.OTHER_TOKEN)
HUB.add_user(suite.ENTERPRISE_USER, suite.ENTERPRISE_TOKEN)
# The suite expects buckets of its enterprise org to be private by default.
HUB.add_org(suite.ENTERPRISE_ORG, admins=[suite.ENTERPRISE_USER], default_private=True)
suite.ENDPOINT_STAGING = HUB.url

_HOME = tempfile.mkdtemp(prefix="hf-official-home-")
# Read by huggingface_hub.constants when it is first imported, which happens after this point.
os.environ.update(
    {
        "HF_ENDPOINT": HUB.url,
        "HF_TOKEN": "",
        "HUGGING_FACE_HUB_TOKEN": "",
        "HF_HOME": _HOME,
        "HF_XET_CACHE": os.path.join(_HOME, "xet"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "DISABLE_SYMLINKS_IN_WINDOWS_TESTS": "1",
    }
)

# node id -> why it cannot pass against local-hub (mirrored in local-hub/README.md).
DESELECTED: dict[str, str] = {}


def pytest_collection_modifyitems(config, items):
    known = {item.nodeid.split("tests/", 1)[-1] for item in items}
    missing = sorted(set(DESELECTED) - known)
    if missing:
        raise pytest.UsageError(f"deselected tests that do not exist: {missing}")
    kept, dropped = [], []
    for item in items:
        (dropped if item.nodeid.split("tests/", 1)[-1] in DESELECTED else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_unconfigure(config):
    HUB.stop()


class RepoFactory:
    """Creates repos on local-hub for a test (`repo_factory(...)`) and deletes them afterwards."""

    def __init__(self) -> None:
        from huggingface_hub import HfApi

        self.api = HfApi(endpoint=suite.ENDPOINT_STAGING, token=suite.TOKEN)
        self.created: list[tuple[str, str]] = []

    def __call__(self, repo_type: str = "model", repo_id: str | None = None, **kwargs):
        from .testing_utils import repo_name

        url = self.api.create_repo(repo_id or repo_name(), repo_type=repo_type, **kwargs)
        self.created.append((url.repo_id, repo_type))
        return url

    def cleanup(self) -> None:
        for repo_id, repo_type in self.created:
            self.api.delete_repo(repo_id, repo_type=repo_type, missing_ok=True)


@pytest.fixture
def repo_factory():
    factory = RepoFactory()
    yield factory
    factory.cleanup()

"""Shared set-up for the interop tests.

Each test module starts its own local-hub in the module-scoped `hub` fixture (extra command-line
arguments from the module's `LOCAL_HUB_ARGS`, if any) and points the official client at it through the environment (HF_ENDPOINT, HF_TOKEN, HF_HOME, ...). huggingface_hub reads
those variables once, when `huggingface_hub.constants` is first imported; so that several modules
can run in one pytest process, the constants module is re-read whenever a fixture changes
HF_ENDPOINT or HF_TOKEN, exactly as a fresh process would see them. Client code is not touched.
"""

import importlib
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

_WATCHED = ("HF_ENDPOINT", "HF_TOKEN", "HF_HOME", "HF_XET_CACHE")


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    before = {name: os.environ.get(name) for name in _WATCHED}
    yield
    after = {name: os.environ.get(name) for name in _WATCHED}
    constants = sys.modules.get("huggingface_hub.constants")
    if before != after and constants is not None:
        importlib.reload(constants)


@pytest.fixture(scope="module")
def hub(request, tmp_path_factory):
    """A local-hub of its own for the module: {"hub", "cas", "token", "user", ...} as it prints."""
    binary = os.environ.get("LOCAL_HUB_BIN") or str(ROOT / "target" / "debug" / "local-hub")
    if not pathlib.Path(binary).is_file():
        pytest.fail(f"local-hub binary not found at {binary}: run `cargo build -p local-hub` or set LOCAL_HUB_BIN")
    data_dir = tmp_path_factory.mktemp("local-hub-data")
    extra = list(getattr(request.module, "LOCAL_HUB_ARGS", []))
    proc = subprocess.Popen(
        [binary, "--port", "0", "--data-dir", str(data_dir), *extra],
        stdout=subprocess.PIPE,
        stderr=sys.stderr,
        text=True,
    )
    try:
        info = json.loads(proc.stdout.readline())
        home = tmp_path_factory.mktemp("hf-home")
        # Environment for the official client; must be set before huggingface_hub is imported.
        os.environ["HF_ENDPOINT"] = info["hub"]
        os.environ["HF_TOKEN"] = info["token"]
        os.environ["HF_HOME"] = str(home)
        os.environ["HF_XET_CACHE"] = str(home / "xet")
        os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
        yield info
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def api(hub):
    """The official client's HfApi, pointed at the module's local-hub."""
    import huggingface_hub
    from huggingface_hub import HfApi, constants

    assert constants.ENDPOINT == hub["hub"], "huggingface_hub was imported before HF_ENDPOINT was set"
    assert huggingface_hub.__version__ == "2.4.0"
    return HfApi()

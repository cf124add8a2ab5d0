"""Shared set-up for the interop tests.

Each test module starts its own local-hub in a module-scoped fixture and points the official
client at it through the environment (HF_ENDPOINT, HF_TOKEN, HF_HOME, ...). huggingface_hub reads
those variables once, when `huggingface_hub.constants` is first imported; so that several modules
can run in one pytest process, the constants module is re-read whenever a fixture changes
HF_ENDPOINT or HF_TOKEN, exactly as a fresh process would see them. Client code is not touched.
"""

import importlib
import os
import sys

import pytest

_WATCHED = ("HF_ENDPOINT", "HF_TOKEN", "HF_HOME", "HF_XET_CACHE")


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    before = {name: os.environ.get(name) for name in _WATCHED}
    yield
    after = {name: os.environ.get(name) for name in _WATCHED}
    constants = sys.modules.get("huggingface_hub.constants")
    if before != after and constants is not None:
        importlib.reload(constants)

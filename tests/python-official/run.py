"""Runs the official huggingface_hub bucket tests against a fresh local-hub.

The test files come from the huggingface_hub sdist that scripts/setup.sh downloads into
.local/hf-official/ (never vendored). They are copied unchanged into target/python-official/tests/,
next to an empty `__init__.py` (they use relative imports) and our conftest.py (symlinked), then run
with our pytest.ini. Extra arguments are passed to pytest.
"""

import os
import pathlib
import shutil
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VERSION = "2.4.0"
SDIST_TESTS = ROOT / ".local" / "hf-official" / f"huggingface_hub-{VERSION}" / "tests"
STAGE = ROOT / "target" / "python-official" / "tests"

# The bucket test files of the suite, run as they are.
TEST_FILES = [
    "test_buckets.py",
    "test_buckets_cli.py",
    "test_buckets_hf_file_system.py",
    "test_bucket_live_follow.py",
    "test_copy_files.py",
    "test_xet_upload.py",
]
# Modules those files import (not collected themselves).
HELPERS = ["testing_constants.py", "testing_utils.py", "test_hf_file_system.py"]


def stage() -> None:
    if not SDIST_TESTS.is_dir():
        sys.exit(f"{SDIST_TESTS} is missing: run `bash scripts/setup.sh`")
    shutil.rmtree(STAGE, ignore_errors=True)
    STAGE.mkdir(parents=True)
    for name in TEST_FILES + HELPERS:
        shutil.copy2(SDIST_TESTS / name, STAGE / name)
    (STAGE / "__init__.py").write_text("")
    (STAGE / "conftest.py").symlink_to(HERE / "conftest.py")


def main() -> int:
    stage()
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(HERE / "pytest.ini"),
        "--rootdir",
        str(STAGE.parent),
        *[str(STAGE / name) for name in TEST_FILES],
        *sys.argv[1:],
    ]
    env = os.environ.copy()
    if env.get("LOCAL_HUB_BIN"):
        # pytest runs in the staging directory: a relative binary path means one from here.
        env["LOCAL_HUB_BIN"] = os.path.abspath(env["LOCAL_HUB_BIN"])
    return subprocess.call(command, cwd=STAGE.parent, env=env)


if __name__ == "__main__":
    sys.exit(main())

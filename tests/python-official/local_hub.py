"""Start-up helper of the official-suite wiring: runs one fresh local-hub and talks to its admin API."""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]


def binary_path() -> pathlib.Path:
    """`$LOCAL_HUB_BIN`, else the debug build in the cargo target directory."""
    if os.environ.get("LOCAL_HUB_BIN"):
        return pathlib.Path(os.environ["LOCAL_HUB_BIN"])
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
    return target / "debug" / "local-hub"


class LocalHub:
    """A local-hub process with a temporary data directory, stopped by `stop()`."""

    def __init__(self, extra_args: tuple[str, ...] = ()) -> None:
        binary = binary_path()
        if not binary.is_file():
            raise RuntimeError(f"local-hub binary not found at {binary}: run `cargo build -p local-hub`")
        self.data_dir = tempfile.mkdtemp(prefix="hf-official-hub-")
        self._proc = subprocess.Popen(
            [str(binary), "--port", "0", "--data-dir", self.data_dir, *extra_args],
            stdout=subprocess.PIPE,
            stderr=sys.stderr,
            text=True,
        )
        line = self._proc.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("local-hub exited before printing its start-up line")
        info = json.loads(line)
        self.url: str = info["hub"]
        self.cas: str = info["cas"]
        self.admin_token: str = info["adminToken"]

    def admin(self, method: str, path: str, body=None):
        """Calls the admin API; returns the decoded JSON answer (raises on an HTTP error)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.admin_token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def add_user(self, name: str, token: str, fullname: str | None = None) -> None:
        body = {"name": name, "tokens": [{"token": token, "role": "write"}]}
        if fullname:
            body["fullname"] = fullname
        self.admin("POST", "/admin/users", body)

    def add_org(self, name: str, admins: list[str], default_private: bool = False) -> None:
        body = {"name": name, "members": [{"user": user, "role": "admin"} for user in admins]}
        if default_private:
            body["defaultPrivate"] = True
        self.admin("POST", "/admin/orgs", body)

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)

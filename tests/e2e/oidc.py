"""Starting the test OpenID Provider (tests/e2e/oidc_provider: oidc-provider from npm, installed with ``npm ci``
from the committed lock file) on 127.0.0.1, for tests that sign in through a real provider."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.conftest import in_ci

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"


def provider_or_skip() -> None:
    missing = shutil.which("node") is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir()
    if missing:
        message = "the test OpenID Provider needs Node and `npm ci` in tests/e2e/oidc_provider"
        if in_ci():
            pytest.fail(message + " (CI=true: a missing provider is a failure, not a skip)")
        pytest.skip(message)


@contextmanager
def openid_provider(port: int, client_id: str, client_secret: str, redirect_uris: list[str],
                    accounts: Mapping[str, Mapping[str, object]], log_path: Path) -> Iterator[str]:
    """Run the provider until the block ends; yields its issuer."""
    provider_or_skip()
    env = {**os.environ, "OIDC_PORT": str(port), "OIDC_CLIENT_ID": client_id, "OIDC_CLIENT_SECRET": client_secret,
           "OIDC_REDIRECT_URIS": ",".join(redirect_uris), "OIDC_ACCOUNTS": json.dumps(accounts)}
    issuer = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        process = subprocess.Popen(["node", "provider.mjs"], cwd=PROVIDER_DIR, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the OpenID Provider exited:\n{log_path.read_text()}")
                try:
                    if httpx.get(issuer + "/.well-known/openid-configuration", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the OpenID Provider did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
            yield issuer
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

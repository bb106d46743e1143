"""A real OpenID provider on loopback for the sign-in tests: node oidc-provider (a dev dependency in
package.json) started by :func:`start` with the configuration the test writes, and a driver that
signs a person in through its own login and consent pages as a browser would."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import requests

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "oidc" / "provider.mjs"
CLIENT_ID = "incometrack-tests"
CLIENT_SECRET = "test-only-client-secret-of-forty-characters"
REDIRECT_URI = "http://localhost/auth/oidc/callback"
POST_LOGOUT_URI = "http://localhost/login"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Provider:
    issuer: str
    accounts_file: Path
    process: subprocess.Popen

    def accounts(self, accounts: dict[str, dict]) -> None:
        """Who may sign in and the claims each gets (read again at every sign-in)."""
        self.accounts_file.write_text(json.dumps(accounts))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def available() -> bool:
    return shutil.which("node") is not None and (ROOT / "node_modules" / "oidc-provider").exists()


def start(
    folder: Path, *, redirect_uri: str = REDIRECT_URI, post_logout_uri: str = POST_LOGOUT_URI
) -> Provider:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    accounts = folder / "accounts.json"
    accounts.write_text("{}")
    config = folder / "provider.json"
    config.write_text(
        json.dumps(
            {
                "port": port,
                "issuer": issuer,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uri": redirect_uri,
                "post_logout_redirect_uri": post_logout_uri,
                "accounts": str(accounts),
            }
        )
    )
    process = subprocess.Popen(
        ["node", str(SCRIPT), str(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).ok:
                return Provider(issuer, accounts, process)
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"oidc-provider did not start: {process.stdout.read().decode()[-2000:]}")


def _form(html: str, base: str) -> tuple[str, dict[str, str]]:
    action = unescape(re.search(r'<form[^>]*action="([^"]+)"', html).group(1))
    fields = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    return urljoin(base, action), fields


def sign_in_at_provider(authorize_url: str, login: str) -> str:
    """Go through the provider's login and consent pages as ``login``; the redirect back to the
    app (its callback address with the code and state)."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(12):
        response = browser.get(url, allow_redirects=False, timeout=10)
        while response.status_code in (302, 303):
            location = urljoin(url, response.headers["Location"])
            if location.startswith(REDIRECT_URI):
                return location
            url = location
            response = browser.get(url, allow_redirects=False, timeout=10)
        action, fields = _form(response.text, url)
        if 'name="login"' in response.text:
            fields.update(login=login, password="any")
        response = browser.post(action, data=fields, allow_redirects=False, timeout=10)
        location = urljoin(action, response.headers["Location"])
        if location.startswith(REDIRECT_URI):
            return location
        url = location
    raise AssertionError("the provider never sent the person back")

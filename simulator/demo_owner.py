"""The demo's Home Assistant account, made through onboarding's own API.

``scripts/develop`` marks onboarding's location step done for a new config dir (its
YAML sets the location), so that Home Assistant adds no default integrations that fail
offline. Home Assistant's welcome page then refuses to say which installation it is
(any step done) and raises a "Login attempt failed" notification; so the demo makes
the owner account itself, as the first onboarding page would, and the newcomer logs in
with the printed name and password, then chooses analytics and sees the discovered
devices. A config dir whose account exists is left alone.

    python -m simulator.demo_owner --url http://127.0.0.1:8123
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any
import urllib.error
import urllib.request

USERNAME = "demo"
PASSWORD = "demo-password-123"  # noqa: S105 - the demo's, on loopback only
NAME = "Demo User"


def _request(url: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - the demo's own loopback URL
        url, data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.load(response)


def _steps(url: str, deadline: float) -> list[dict[str, Any]] | None:
    """Onboarding's steps once Home Assistant answers; None when it is onboarded."""
    while True:
        try:
            steps: list[dict[str, Any]] = _request(f"{url}/api/onboarding")
            return steps
        except urllib.error.HTTPError as err:
            if err.code == 404:  # onboarding finished: its views are gone
                return None
            if time.monotonic() > deadline:
                raise
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(1)


def make_owner(url: str, *, wait: float = 180) -> bool:
    """Make the owner account unless one exists; True when it was made now."""
    steps = _steps(url, time.monotonic() + wait)
    if steps is None or any(s["step"] == "user" and s["done"] for s in steps):
        return False
    _request(
        f"{url}/api/onboarding/users",
        {
            "client_id": f"{url}/",
            "name": NAME,
            "username": USERNAME,
            "password": PASSWORD,
            "language": "en",
        },
    )
    return True


def main(argv: list[str] | None = None) -> int:
    """Make the account; say so on stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="Home Assistant's URL")
    args = parser.parse_args(argv)
    url = args.url.rstrip("/")
    if make_owner(url):
        print(f"Made the Home Assistant account {USERNAME} ({PASSWORD})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The processes behind the browser test: scripts/develop on free ports, stopped on exit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import time
import urllib.request

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", ROOT / "artifacts" / "e2e"))
KEY = "demo-personal-access-key"  # the simulated cloud's demo key
STEP_TIMEOUT_MS = 30_000


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports on loopback."""
    for _ in range(100):
        first = free_port()
        if first + count > 65535:
            continue
        try:
            for port in range(first, first + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError(f"no {count} consecutive free ports")


# A record's first line: Home Assistant's format, or the simulators' default one.
_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \S+ [A-Z]+ |^[A-Z]+:")
_ERROR = re.compile(r"^\S+ \S+ (ERROR|CRITICAL) |^(ERROR|CRITICAL):")


# Home Assistant's own race, not the demo's: its websocket writer fails on a socket the
# browser has just closed (the journey leaves pages quickly) and 2026.2 logs the
# unretrieved task at ERROR.
CORE_NOISE = ("ClientConnectionResetError: Cannot write to closing transport",)


def logged_errors(log: Path, expected: tuple[str, ...] = ()) -> list[str]:
    """What the demo logged at ERROR or above: a newcomer's log holds none.

    A record is its first line and the lines after it (a traceback). One that
    holds an ``expected`` text is the journey's own doing (an action it made fail
    on purpose, which Home Assistant logs at ERROR) and is not counted, nor is
    Home Assistant's own ``CORE_NOISE``. An uncaught traceback outside an ERROR
    record counts as one.
    """
    expected = (*expected, *CORE_NOISE)
    records: list[list[str]] = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        starts_traceback = line.startswith("Traceback (most recent call last)")
        in_error = bool(records) and bool(_ERROR.match(records[-1][0]))
        if _RECORD.match(line) or not records or (starts_traceback and not in_error):
            records.append([line])
        else:
            records[-1].append(line)
    return [
        record[0]
        for record in records
        if (_ERROR.match(record[0]) or record[0].startswith("Traceback"))
        and not any(text in "\n".join(record) for text in expected)
    ]


# The demo's proxies: two added at start, a spare one the journey adds in the UI.
PROXY_PORT = free_ports(3)
SPARE_PROXY_PORT = PROXY_PORT + 2


@contextmanager
def develop(config: Path, extra: list[str]) -> Iterator[str]:
    """Run scripts/develop; yield the Home Assistant URL; stop it all afterwards."""
    port, cloud_port = free_port(), free_port()
    log = (ARTIFACTS / "develop.log").open("w")
    proc = subprocess.Popen(
        [
            str(ROOT / "scripts" / "develop"),
            "--port",
            str(port),
            "--cloud-port",
            str(cloud_port),
            "--config",
            str(config),
            "--proxies",
            "2",
            "--spare-proxy",
            "--proxy-port",
            str(PROXY_PORT),
            *extra,
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError("scripts/develop exited; see develop.log")
            try:
                with urllib.request.urlopen(f"{url}/manifest.json", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        "Home Assistant did not answer within 120 s"
                    ) from None
                time.sleep(1)
        yield url
    finally:
        # The group may already be gone when develop exited on its own.
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()

"""Simulated Tedee cloud: the PROTOCOL.md section 3 endpoints as an aiohttp app.

Personal Access Keys with scopes, accounts with locks, mobile registrations,
certificates signed by the simulated CA, signed time, the 700/h rate limit and
injectable failures. Run standalone: ``python -m simulator.cloud --port N``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import math
import signal
import time
from typing import Any, cast
import uuid

from aiohttp import web

from . import cloud_activity
from .ca import CertificateAuthority
from .cloud_activity import ActivityItem
from .lock_crypto import BadFrame, key_to_pem, new_key, point_key, point_of

ALL_SCOPES = frozenset(
    {
        "Device.Read",
        "Device.ReadWrite",
        "Mobile.ReadWrite",
        "DeviceCertificate.Operate",
        cloud_activity.SCOPE,
    }
)
FIRST_USER_ID = 1001
RATE_LIMIT = 700
SLOW = 0  # an injected "failure" that only delays the real answer
RATE_WINDOW = 3600.0
API_PREFIX = "/api/v37"


# A lock's device settings as the cloud's sample record has them (the API doc).
DEVICE_SETTINGS: dict[str, Any] = {
    "autoLockEnabled": False,
    "autoLockDelay": 10,
    "autoLockImplicitEnabled": False,
    "autoLockImplicitDelay": 10,
    "pullSpringEnabled": True,
    "pullSpringDuration": 10,
    "autoPullSpringEnabled": False,
    "postponedLockEnabled": False,
    "postponedLockDelay": 10,
    "buttonLockEnabled": True,
    "buttonUnlockEnabled": True,
    "isAsync": False,
    "openDoorAlertEnabled": False,
    "openDoorAlertThreshold": 300,
    "autoLockAfterDoorClosedEnabled": False,
}
# What PATCH /my/lock may change; isAsync is the lock's own.
WRITABLE_SETTINGS = frozenset(DEVICE_SETTINGS) - {"isAsync"}


@dataclass
class CloudLockRecord:
    """A lock as the cloud knows it."""

    id: int
    serial_number: str
    name: str
    type: int
    device_public_point: bytes
    firmware: str = "2.4.1234"
    update_available: bool = False
    simulated: Any = None  # the SimulatedLock behind it, if any (its door sensor)
    # A door sensor paired to a lock this process does not run (the demo's cloud).
    door_sensor: bool = False
    settings: dict[str, Any] = field(default_factory=lambda: dict(DEVICE_SETTINGS))
    # The record's revision; the settings the lock runs and the ones it should.
    revision: int = 1
    device_revision: int = 1
    target_device_revision: int = 1
    access_level: int = 2  # 2 owner, 1 admin, 0 guest

    @property
    def pull_spring_enabled(self) -> bool:
        """Whether the lock may pull its spring (a device setting)."""
        return bool(self.settings["pullSpringEnabled"])

    @pull_spring_enabled.setter
    def pull_spring_enabled(self, enabled: bool) -> None:
        self.settings["pullSpringEnabled"] = enabled

    def change_settings(self, changes: dict[str, Any]) -> None:
        """Settings changed (by the API or the Tedee app): a new revision."""
        self.revision += 1
        if any(self.settings.get(k) != v for k, v in changes.items()):
            self.settings.update(changes)
            self.target_device_revision = self.revision

    def sync_lock(self) -> None:
        """A bridge or the Tedee app carries the settings to the lock."""
        self.device_revision = self.target_device_revision
        lock = self.simulated
        if lock is not None:
            lock.config.auto_pull = bool(self.settings["autoPullSpringEnabled"])
            lock.config.pull_spring_enabled = self.pull_spring_enabled

    def json(self) -> dict[str, Any]:
        """The record as GET /my/lock and GET /my/lock/{id} send it."""
        return {
            "id": self.id,
            "serialNumber": self.serial_number,
            "name": self.name,
            "type": self.type,
            "revision": self.revision,
            "deviceRevision": self.device_revision,
            "targetDeviceRevision": self.target_device_revision,
            "accessLevel": self.access_level,
            "softwareVersions": [
                {
                    "softwareType": 0,
                    "version": self.firmware,
                    "updateAvailable": self.update_available,
                }
            ],
            "deviceSettings": dict(self.settings),
            "lockProperties": {"doorState": self.door_state},
        }

    @property
    def door_state(self) -> int:
        """The cloud's doorState: 0 NotPaired without a door sensor."""
        lock = self.simulated
        if lock is None:
            return 3 if self.door_sensor else 0  # Closed, as far as it knows
        if not lock.config.has_door_sensor:
            return 0  # NotPaired
        return int(lock.door) or 3  # as last reported; Closed before any report


@dataclass
class Account:
    """A Tedee account: its user, locks and mobiles."""

    user_id: int = FIRST_USER_ID
    user_name: str = "Demo User"
    locks: dict[int, CloudLockRecord] = field(default_factory=dict)
    mobiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: deque[float] = field(default_factory=deque)


@dataclass
class InjectedFailure:
    """Answer the next matching request with this instead."""

    status: int
    path: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    malformed: bool = False
    method: str | None = None  # only requests with this method


class CloudState:
    """Everything the simulated cloud knows; tests poke at it directly."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] | None = None,
        ca: CertificateAuthority | None = None,
    ) -> None:
        """A CA (fresh unless given), no accounts."""
        self.ca = ca or CertificateAuthority()
        self.clock = clock or (lambda: time.time())
        self.accounts: dict[str, Account] = {}
        self.keys: dict[str, tuple[str, frozenset[str]]] = {}
        self.rejected: dict[str, tuple[str, frozenset[str]]] = {}
        self.cert_validity = timedelta(days=10)
        self.failures: list[InjectedFailure] = []
        self.request_log: list[tuple[str, str]] = []
        self.activity: list[ActivityItem] = []
        # Line-wrap keys and certificates, as the vendor's samples do.
        self.wrap_base64 = False
        self.certify_another_key = False  # a certificate naming a key not ours

    def add_key(
        self, key: str, account: str = "demo", scopes: frozenset[str] = ALL_SCOPES
    ) -> None:
        """A Personal Access Key for ``account`` with ``scopes``."""
        self._account(account)
        self.keys[key] = (account, scopes)

    def _account(self, name: str) -> Account:
        """The account called ``name``; a new one gets the next user id."""
        if name not in self.accounts:
            self.accounts[name] = Account(
                user_id=FIRST_USER_ID + len(self.accounts),
                user_name=f"{name.title()} User",
            )
        return self.accounts[name]

    def add_user(self, account: str, user_name: str, user_id: int) -> None:
        """Someone else in the household, with an account (and a keypad PIN) of their own."""
        self.accounts[account] = Account(user_id=user_id, user_name=user_name)

    def add_activity(
        self, device_id: int, account: str | None, event: int, at: float | None = None
    ) -> None:
        """An entry in a lock's activity list, by ``account``'s user (None: nobody)."""
        user = self.accounts[account] if account is not None else None
        self.activity.append(
            ActivityItem(
                len(self.activity) + 1,
                device_id,
                user.user_id if user else None,
                user.user_name if user else None,
                event,
                self.clock() if at is None else at,
            )
        )

    def reject_key(self, key: str) -> bool:
        """The user deleted ``key`` in the Tedee portal: every request gets 401."""
        if key not in self.keys:
            return False
        self.rejected[key] = self.keys.pop(key)
        return True

    def accept_key(self, key: str) -> bool:
        """A rejected key works again."""
        if key not in self.rejected:
            return False
        self.keys[key] = self.rejected.pop(key)
        return True

    def add_lock(
        self,
        account: str,
        *,
        device_id: int,
        serial: str,
        name: str,
        type: int,
        device_public_point: bytes,
    ) -> CloudLockRecord:
        """Put a lock on an account."""
        record = CloudLockRecord(device_id, serial, name, type, device_public_point)
        self._account(account).locks[device_id] = record
        # What the owner's phone uploaded before: an unlock an hour ago.
        self.add_activity(
            device_id, account, cloud_activity.UNLOCKED_REMOTE, self.clock() - 3600
        )
        return record

    def add_simulated_lock(self, account: str, lock: Any) -> CloudLockRecord:
        """Put a SimulatedLock on an account, with its real identity key."""
        record = self.add_lock(
            account,
            device_id=lock.config.device_id,
            serial=lock.config.serial,
            name=lock.config.name,
            type=lock.config.type,
            device_public_point=lock.device_public_point,
        )
        record.pull_spring_enabled = lock.config.pull_spring_enabled
        record.settings["autoPullSpringEnabled"] = lock.config.auto_pull
        record.simulated = lock
        return record

    def issue_credentials(
        self, account: str, device_id: int
    ) -> tuple[str, str, str, str]:
        """Register a fresh mobile key and certify it, without HTTP (for tests).

        Returns (private key PEM, mobile id, certificate base64, device key base64).
        """
        key = new_key()
        point = point_of(key)
        mobile_id = str(uuid.uuid4())
        acct = self.accounts[account]
        acct.mobiles[mobile_id] = {"name": "test", "public_point": point}
        lock = acct.locks[device_id]
        expires = self.clock() + self.cert_validity.total_seconds()
        cert = self.ca.issue(device_id, point, int(expires * 1000), acct.user_id)
        return (
            key_to_pem(key),
            mobile_id,
            _b64(cert),
            _b64(lock.device_public_point),
        )

    def fail_next(self, status: int, **kwargs: Any) -> None:
        """Inject a failure for the next request (optionally only on ``path``)."""
        self.failures.append(InjectedFailure(status, **kwargs))

    def slow_next(self, delay: float, **kwargs: Any) -> None:
        """Answer the next request (optionally only on ``path``) ``delay`` s late."""
        self.failures.append(InjectedFailure(SLOW, delay=delay, **kwargs))


def _envelope(
    result: Any, status: int = 200, errors: list[str] | None = None
) -> web.Response:
    body: dict[str, Any] = {
        "success": 200 <= status < 300,
        "errorMessages": errors or [],
        "statusCode": status,
    }
    if body["success"]:
        body["result"] = result  # an error carries no result (PROTOCOL.md 3)
    return web.json_response(body, status=status)


def _int(text: str) -> int:
    """A path's number; anything else is no lock's id."""
    try:
        return int(text)
    except ValueError:
        return -1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64_wrapped(data: bytes) -> str:
    text = _b64(data)
    return "\r\n".join(text[i : i + 64] for i in range(0, len(text), 64))


class CloudApp:
    """Request handling on top of a CloudState."""

    def __init__(self, state: CloudState) -> None:
        """Bind to the state."""
        self.state = state

    def _authorize(self, request: web.Request, scope: str) -> Account | web.Response:
        header = request.headers.get("Authorization", "")
        prefix = "PersonalKey "
        entry = (
            self.state.keys.get(header[len(prefix) :])
            if header.startswith(prefix)
            else None
        )
        if entry is None:
            return _envelope(None, 401, ["Unauthorized"])
        account_name, scopes = entry
        account = self.state.accounts[account_name]
        now = self.state.clock()
        while account.requests and account.requests[0] <= now - RATE_WINDOW:
            account.requests.popleft()
        if len(account.requests) >= RATE_LIMIT:
            retry = max(1, math.ceil(account.requests[0] + RATE_WINDOW - now))
            response = _envelope(None, 429, ["Too many requests"])
            response.headers["Retry-After"] = str(retry)
            return response
        account.requests.append(now)
        if scope not in scopes:
            return _envelope(None, 403, [f"Missing scope {scope}"])
        return account

    @web.middleware
    async def failures(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Apply injected failures before the real handler."""
        self.state.request_log.append((request.method, request.path))
        for failure in list(self.state.failures):
            if (failure.path is None or request.path.endswith(failure.path)) and (
                failure.method is None or failure.method == request.method
            ):
                self.state.failures.remove(failure)
                if failure.delay:
                    await asyncio.sleep(failure.delay)
                if failure.status == SLOW:
                    break  # late, but answered for real
                if failure.malformed:
                    return web.Response(status=failure.status, text="<html>oops</html>")
                response = _envelope(None, failure.status, ["injected failure"])
                if failure.retry_after is not None:
                    response.headers["Retry-After"] = str(failure.retry_after)
                return response
        response = await handler(request)
        return cast(web.StreamResponse, response)

    async def list_locks(self, request: web.Request) -> web.Response:
        """GET /my/lock."""
        account = self._authorize(request, "Device.Read")
        if isinstance(account, web.Response):
            return account
        locks = list(account.locks.values())
        try:  # paged since API 1.26: a bare array, no total
            page = int(request.query.get("Page", "1"))
            per_page = int(request.query.get("ItemsPerPage", str(len(locks) or 1)))
        except ValueError:
            return _envelope(None, 400, ["Invalid paging"])
        if page < 1 or per_page < 1:
            return _envelope(None, 400, ["Invalid paging"])
        locks = locks[(page - 1) * per_page : page * per_page]
        return _envelope([lock.json() for lock in locks])

    async def get_lock(self, request: web.Request) -> web.Response:
        """GET /my/lock/{id}."""
        account = self._authorize(request, "Device.Read")
        if isinstance(account, web.Response):
            return account
        lock = account.locks.get(_int(request.match_info["lock_id"]))
        if lock is None:
            return _envelope(None, 404, ["Lock not found"])
        return _envelope(lock.json())

    async def update_lock(self, request: web.Request) -> web.Response:
        """PATCH /my/lock: device settings, naming the record's revision."""
        account = self._authorize(request, "Device.ReadWrite")
        if isinstance(account, web.Response):
            return account
        try:
            body = await request.json()
            lock_id, revision = body["id"], body["revision"]
            settings = body.get("deviceSettings") or {}
        except (ValueError, KeyError, TypeError):
            return _envelope(None, 400, ["Invalid body"])
        if type(lock_id) is not int or type(revision) is not int:
            return _envelope(None, 400, ["Invalid id or revision"])
        lock = account.locks.get(lock_id)
        if lock is None:
            return _envelope(None, 404, ["Lock not found"])
        if settings and lock.access_level < 1:
            return _envelope(None, 403, ["Only an owner or admin may change this"])
        for key, value in settings.items():
            kind = type(DEVICE_SETTINGS.get(key))
            if key not in WRITABLE_SETTINGS or type(value) is not kind:
                return _envelope(None, 400, [f"Invalid device setting {key}"])
            if kind is int and not 0 < value <= 3600:
                return _envelope(None, 400, [f"{key} is out of range"])
        if revision != lock.revision:
            return _envelope(None, 409, ["Revision conflict"])
        lock.change_settings(settings)
        return _envelope(
            {
                "id": lock.id,
                "revision": lock.revision,
                "targetDeviceRevision": lock.target_device_revision,
            }
        )

    async def register_mobile(self, request: web.Request) -> web.Response:
        """POST /my/mobile."""
        account = self._authorize(request, "Mobile.ReadWrite")
        if isinstance(account, web.Response):
            return account
        try:
            body = await request.json()
            name = str(body["name"])
            point = base64.b64decode(body["publicKey"], validate=True)
            point_key(point)
        except (ValueError, KeyError, TypeError, BadFrame):
            return _envelope(None, 400, ["Invalid mobile registration"])
        mobile_id = str(uuid.uuid4())
        account.mobiles[mobile_id] = {"name": name, "public_point": point}
        return _envelope({"id": mobile_id}, 201)

    async def delete_mobile(self, request: web.Request) -> web.Response:
        """DELETE /my/mobile/{id}."""
        account = self._authorize(request, "Mobile.ReadWrite")
        if isinstance(account, web.Response):
            return account
        if account.mobiles.pop(request.match_info["mobile_id"], None) is None:
            return _envelope(None, 404, ["Mobile not found"])
        return web.Response(status=204)

    async def certificate(self, request: web.Request) -> web.Response:
        """GET /my/devicecertificate/getformobile."""
        account = self._authorize(request, "DeviceCertificate.Operate")
        if isinstance(account, web.Response):
            return account
        mobile = account.mobiles.get(request.query.get("mobileId", ""))
        try:
            lock = account.locks.get(int(request.query.get("deviceId", "")))
        except ValueError:
            lock = None
        if mobile is None or lock is None:
            return _envelope(None, 404, ["Mobile or device not found"])
        expires = (
            datetime.fromtimestamp(self.state.clock(), tz=UTC)
            + self.state.cert_validity
        )
        cert = self.state.ca.issue(
            lock.id,
            mobile["public_point"],
            int(expires.timestamp() * 1000),
            account.user_id,
        )
        enc = _b64_wrapped if self.state.wrap_base64 else _b64
        return _envelope(
            {
                "certificate": enc(cert),
                "expirationDate": expires.isoformat().replace("+00:00", "Z"),
                "devicePublicKey": enc(lock.device_public_point),
                "mobilePublicKey": enc(
                    point_of(new_key())
                    if self.state.certify_another_key
                    else mobile["public_point"]
                ),
            }
        )

    async def signed_time(self, request: web.Request) -> web.Response:
        """GET /datetime/getsignedtime."""
        account = self._authorize(request, "Device.Read")
        if isinstance(account, web.Response):
            return account
        data, sig = self.state.ca.sign_time(int(self.state.clock() * 1000))
        return _envelope({"datetime": _b64(data), "signature": _b64(sig)})

    async def activity(self, request: web.Request) -> web.Response:
        """GET /my/deviceactivity: a lock's activity, newest first."""
        account = self._authorize(request, cloud_activity.SCOPE)
        if isinstance(account, web.Response):
            return account
        try:
            device_id = int(request.query["deviceId"])
            elements = int(request.query.get("elements", cloud_activity.MAX_ELEMENTS))
        except (KeyError, ValueError):
            return _envelope(None, 400, ["Invalid query"])
        if device_id not in account.locks:
            return _envelope(None, 404, ["Device not found"])
        return _envelope(cloud_activity.page(self.state.activity, device_id, elements))


STATE_KEY = web.AppKey("state", CloudState)
CONTROL_PREFIX = "/_simulator"  # the demo's hallway actions; not part of the Tedee API


async def _control_key(request: web.Request) -> web.Response:
    """POST /_simulator/key/{key}/reject or /accept."""
    state = request.app[STATE_KEY]
    key, action = request.match_info["key"], request.match_info["action"]
    done = state.reject_key(key) if action == "reject" else state.accept_key(key)
    return web.json_response({"changed": done})


async def _control_lock(request: web.Request) -> web.Response:
    """POST /_simulator/lock/{lock_id}/offer_update, /installed or /sync.

    Tedee offers new firmware; the app installed it (body: {"version": ...});
    a bridge or the app synced the lock's settings (answers them).
    """
    state = request.app[STATE_KEY]
    lock_id, action = _int(request.match_info["lock_id"]), request.match_info["action"]
    record = next(
        (a.locks[lock_id] for a in state.accounts.values() if lock_id in a.locks), None
    )
    if record is None:
        return web.json_response({"error": "no such lock"}, status=404)
    if action == "offer_update":
        record.update_available = True
    elif action == "installed":
        body = await request.json()
        record.firmware, record.update_available = str(body["version"]), False
    else:
        record.sync_lock()
    return web.json_response({"settings": record.settings})


def make_app(state: CloudState) -> web.Application:
    """The aiohttp application serving ``state`` under /api/v37."""
    api = CloudApp(state)
    app = web.Application(middlewares=[api.failures])
    app.router.add_get(f"{API_PREFIX}/my/lock", api.list_locks)
    app.router.add_get(f"{API_PREFIX}/my/lock/{{lock_id}}", api.get_lock)
    app.router.add_patch(f"{API_PREFIX}/my/lock", api.update_lock)
    app.router.add_post(f"{API_PREFIX}/my/mobile", api.register_mobile)
    app.router.add_delete(f"{API_PREFIX}/my/mobile/{{mobile_id}}", api.delete_mobile)
    app.router.add_get(
        f"{API_PREFIX}/my/devicecertificate/getformobile", api.certificate
    )
    app.router.add_get(f"{API_PREFIX}/datetime/getsignedtime", api.signed_time)
    app.router.add_get(f"{API_PREFIX}/my/deviceactivity", api.activity)
    app.router.add_post(
        CONTROL_PREFIX + "/key/{key}/{action:reject|accept}", _control_key
    )
    app.router.add_post(
        CONTROL_PREFIX + "/lock/{lock_id}/{action:offer_update|installed|sync}",
        _control_lock,
    )
    app[STATE_KEY] = state
    return app


def main(argv: list[str] | None = None) -> None:
    """Serve a demo cloud: one key, and the demo locks of a state file if given."""
    parser = argparse.ArgumentParser(description="Simulated Tedee cloud")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--key", default="demo-personal-access-key")
    parser.add_argument(
        "--locks", type=int, default=0, help="demo locks on the account"
    )
    parser.add_argument("--state", help="demo state file shared with the HA helper")
    args = parser.parse_args(argv)
    ca = None
    specs = []
    if args.state:
        from .demo import load_or_create

        demo = load_or_create(args.state, args.locks)
        ca, specs = demo.ca, demo.locks
    state = CloudState(ca=ca)
    state.add_key(args.key)
    for spec in specs:
        record = state.add_lock(
            "demo",
            device_id=spec.device_id,
            serial=spec.serial,
            name=spec.name,
            type=spec.type,
            device_public_point=point_of(spec.identity_key),
        )
        record.door_sensor = spec.has_door_sensor
    if specs:
        from .demo import KEYPAD_USER_ID, KEYPAD_USER_NAME

        # Anna uses the keypad: the activity list has named her since yesterday.
        state.add_user("anna", KEYPAD_USER_NAME, KEYPAD_USER_ID)
        for spec in specs:
            state.add_activity(
                spec.device_id,
                "anna",
                cloud_activity.UNLOCK_BY_PIN,
                state.clock() - 86400,
            )
    asyncio.run(_serve(make_app(state), args.host, args.port))


async def _serve(app: web.Application, host: str, port: int) -> None:
    """Listen, then say so, then serve until SIGTERM or SIGINT.

    The line is printed only once the socket is bound: scripts/develop and the
    standalone test connect as soon as they read it (printing it before
    web.run_app had bound raced the first request, lost under aiohttp 3.13).
    """
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        print(f"Simulated Tedee cloud on http://{host}:{port}{API_PREFIX}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    main()

"""Tedee cloud client (PROTOCOL.md section 3) on an injected aiohttp session.

Pairing, certificate refresh, signed time, the lock's record and its settings
use it; lock operation is local.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import logging
from typing import Any

import aiohttp

from ..errors import (
    CloudAuthError,
    CloudConflictError,
    CloudError,
    CloudNotFoundError,
    CloudRateLimitError,
    CloudScopeError,
    CloudServerError,
)
from ..wire.crypto import b64decode_strict
from .budget import CloudBudget

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.tedee.com/api/v37"
DEFAULT_TIMEOUT = 15.0
OPERATING_SYSTEM_OTHER = 3

SCOPE_DEVICE_READ = "Device.Read"
SCOPE_DEVICE_WRITE = "Device.ReadWrite"  # optional: only to change lock settings
SCOPE_MOBILE = "Mobile.ReadWrite"
SCOPE_CERTIFICATE = "DeviceCertificate.Operate"
SCOPE_ACTIVITY = "DeviceActivity.Read"  # optional: only for user names
ACTIVITY_PAGE = 200  # the most the cloud lists at once

LOCK_TYPE_PRO = 2
LOCK_TYPE_GO = 4
SOFTWARE_TYPE_FIRMWARE = 0  # 1 is the Wi-Fi module
LOCKS_PER_PAGE = 50
MAX_LOCK_PAGES = 20  # 1000 locks: far more than any account, and a bound


@dataclass(frozen=True, slots=True)
class CloudLock:
    """A lock on the account."""

    id: int
    serial_number: str
    name: str
    type: int
    firmware_version: str | None = None
    update_available: bool = False
    device_settings: dict[str, Any] = field(default_factory=dict)
    door_state: int | None = None  # the cloud's doorState; 0 NotPaired
    # The record's revision (a PATCH names it); the settings the lock runs
    # (deviceRevision) and the ones it should run (targetDeviceRevision).
    revision: int | None = None
    access_level: int | None = None  # 0 guest, 1 admin, 2 owner
    device_revision: int | None = None
    target_device_revision: int | None = None

    @property
    def settings_synced(self) -> bool:
        """The lock has applied the settings the cloud holds (or it is not said)."""
        device, target = self.device_revision, self.target_device_revision
        return device is None or target is None or device >= target

    @property
    def has_door_sensor(self) -> bool | None:
        """Whether a door sensor is paired with the lock; None when not said."""
        return None if self.door_state is None else self.door_state != 0

    @property
    def pull_spring_enabled(self) -> bool | None:
        """Whether "open" can work on this lock; None when the cloud does not say."""
        value = self.device_settings.get("pullSpringEnabled")
        return value if isinstance(value, bool) else None

    @property
    def model(self) -> str:
        """Marketing model name."""
        return {LOCK_TYPE_PRO: "Tedee PRO", LOCK_TYPE_GO: "Tedee GO"}.get(
            self.type, f"Tedee lock (type {self.type})"
        )


@dataclass(frozen=True, slots=True)
class LockUpdated:
    """The cloud's answer to a settings change."""

    revision: int
    target_device_revision: int | None


@dataclass(frozen=True, slots=True)
class DeviceCertificate:
    """A certificate for our mobile key on one lock."""

    certificate: str
    expiration: datetime
    device_public_key: str
    mobile_public_key: str

    def __repr__(self) -> str:
        """Keep the certificate out of logs."""
        return f"DeviceCertificate(expiration={self.expiration.isoformat()})"


@dataclass(frozen=True, slots=True)
class SignedTime:
    """A cloud-signed timestamp for a lock without trusted time."""

    datetime_bytes: bytes
    signature: bytes


def _parse_retry_after(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return max(0, int(value.strip()))
    except ValueError:
        return None


def _require(obj: Any, key: str, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(obj, dict) or key not in obj or not isinstance(obj[key], kind):
        raise CloudServerError(f"malformed {what} from the Tedee cloud: bad {key!r}")
    return obj[key]


class TedeeCloud:
    """The Tedee cloud API, authenticated with a Personal Access Key."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        personal_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        budget: CloudBudget | None = None,
    ) -> None:
        """Use the caller's session (Home Assistant passes its shared one).

        ``budget``: the account's allowance, shared by every client of the key;
        a request it has no room for raises CloudRateLimitError unsent.
        """
        self._session = session
        self._key = personal_key
        self._base = base_url.rstrip("/")
        self._timeout = timeout
        self._budget = budget

    def use_key(self, personal_key: str, budget: CloudBudget | None) -> None:
        """A new key for the same account, from the next request on.

        Everything that holds this client (certificates, settings, names) uses
        it at once, with no new client to hand round.
        """
        self._key = personal_key
        self._budget = budget

    def __repr__(self) -> str:
        """Never show the key."""
        return f"TedeeCloud(base_url={self._base!r})"

    async def _request(
        self,
        method: str,
        path: str,
        scope: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        headers = {
            "Authorization": f"PersonalKey {self._key}",
            "Accept": "application/json",
        }
        url = f"{self._base}{path}"
        if self._budget is not None:
            self._budget.take()
        try:
            async with asyncio.timeout(self._timeout):
                async with self._session.request(
                    method, url, headers=headers, params=params, json=body
                ) as resp:
                    status = resp.status
                    retry_after = resp.headers.get("Retry-After")
                    text = await resp.text()
        except TimeoutError as err:
            raise CloudServerError(f"Tedee cloud timed out ({method} {path})") from err
        except aiohttp.ClientError as err:
            raise CloudServerError(f"cannot reach the Tedee cloud: {err}") from err
        if status == 401:
            raise CloudAuthError("the Personal Access Key was rejected")
        if status == 403:
            raise CloudScopeError(scope)
        if status == 404:
            raise CloudNotFoundError(f"{method} {path}: not found")
        if status == 409:
            raise CloudConflictError(f"{method} {path}: the record changed meanwhile")
        if status == 429:
            wait = _parse_retry_after(retry_after)
            if self._budget is not None:
                self._budget.refused(wait)
            raise CloudRateLimitError(wait)
        if status >= 500:
            raise CloudServerError(f"Tedee cloud error {status} ({method} {path})")
        if status == 204 or (not text and 200 <= status < 300):
            return None
        try:
            payload = json.loads(text)
        except ValueError as err:
            raise CloudServerError("Tedee cloud sent a body that is not JSON") from err
        if not isinstance(payload, dict):
            raise CloudServerError("Tedee cloud sent an unexpected body")
        if not 200 <= status < 300 or payload.get("success") is False:
            messages = payload.get("errorMessages") or []
            raise CloudError(
                f"Tedee cloud refused {method} {path} ({status}): "
                + "; ".join(str(m) for m in messages)[:200]
            )
        return payload.get("result")

    async def get_locks(self) -> list[CloudLock]:
        """Locks on the account, every page of them.

        The list is paged (API 1.26+) and a page is a bare array with no total, so
        read until a page comes back shorter than asked for.
        """
        items: list[Any] = []
        for page in range(1, MAX_LOCK_PAGES + 1):
            result = await self._request(
                "GET",
                "/my/lock",
                SCOPE_DEVICE_READ,
                params={"Page": str(page), "ItemsPerPage": str(LOCKS_PER_PAGE)},
            )
            if not isinstance(result, list):
                raise CloudServerError("malformed lock list from the Tedee cloud")
            items.extend(result)
            if len(result) < LOCKS_PER_PAGE:
                break
        return [_lock(item) for item in items]

    async def register_mobile(self, name: str, public_key_b64: str) -> str:
        """Register our public key as a mobile; returns its id."""
        result = await self._request(
            "POST",
            "/my/mobile",
            SCOPE_MOBILE,
            body={
                "name": name,
                "operatingSystem": OPERATING_SYSTEM_OTHER,
                "publicKey": public_key_b64,
            },
        )
        return str(_require(result, "id", str, "mobile registration"))

    async def delete_mobile(self, mobile_id: str) -> None:
        """Delete a mobile registration; a registration already gone is fine."""
        try:
            await self._request("DELETE", f"/my/mobile/{mobile_id}", SCOPE_MOBILE)
        except CloudNotFoundError:
            _LOGGER.debug("mobile registration was already gone")

    async def get_certificate(
        self, mobile_id: str, device_id: int
    ) -> DeviceCertificate:
        """A certificate for our mobile on one lock."""
        result = await self._request(
            "GET",
            "/my/devicecertificate/getformobile",
            SCOPE_CERTIFICATE,
            params={"mobileId": mobile_id, "deviceId": str(device_id)},
        )
        what = "certificate"
        cert = _require(result, "certificate", str, what)
        expiration_text = _require(result, "expirationDate", str, what)
        device_key = _require(result, "devicePublicKey", str, what)
        mobile_key = _require(result, "mobilePublicKey", str, what)
        try:
            expiration = datetime.fromisoformat(expiration_text.replace("Z", "+00:00"))
            b64decode_strict(cert)
            b64decode_strict(device_key)
            b64decode_strict(mobile_key)
        except ValueError as err:
            raise CloudServerError(f"malformed certificate: {err}") from err
        if expiration.tzinfo is None:
            expiration = expiration.replace(tzinfo=UTC)  # the cloud means UTC
        return DeviceCertificate(cert, expiration, device_key, mobile_key)

    async def get_signed_time(self) -> SignedTime:
        """A signed timestamp for SET_SIGNED_DATETIME."""
        result = await self._request(
            "GET", "/datetime/getsignedtime", SCOPE_DEVICE_READ
        )
        try:
            dt = b64decode_strict(_require(result, "datetime", str, "signed time"))
            sig = b64decode_strict(_require(result, "signature", str, "signed time"))
        except ValueError as err:
            raise CloudServerError(f"malformed signed time: {err}") from err
        if len(dt) != 8 or not sig:
            raise CloudServerError("malformed signed time: wrong field sizes")
        return SignedTime(dt, sig)

    async def get_lock(self, lock_id: int) -> CloudLock:
        """One lock's record: settings, revisions, firmware offer (one request)."""
        result = await self._request("GET", f"/my/lock/{lock_id}", SCOPE_DEVICE_READ)
        return _lock(result)

    async def update_device_settings(
        self, lock_id: int, revision: int, settings: dict[str, Any]
    ) -> LockUpdated:
        """Change device settings (PATCH /my/lock), naming the record's revision.

        A stale revision raises CloudConflictError: read the record again first.
        """
        result = await self._request(
            "PATCH",
            "/my/lock",
            SCOPE_DEVICE_WRITE,
            body={"id": lock_id, "revision": revision, "deviceSettings": settings},
        )
        return LockUpdated(
            revision=_require(result, "revision", int, "lock update"),
            target_device_revision=_int_or_none(result, "targetDeviceRevision"),
        )

    async def get_user_names(self, device_id: int) -> dict[int, str]:
        """User id -> name, from the newest page of a lock's activity list.

        Entries without a user, or with a field we cannot read, are skipped: the
        names only decorate events. The docs spell the name both ``username`` and
        ``userName``; either is taken.
        """
        result = await self._request(
            "GET",
            "/my/deviceactivity",
            SCOPE_ACTIVITY,
            params={"deviceId": str(device_id), "elements": str(ACTIVITY_PAGE)},
        )
        if not isinstance(result, list):
            raise CloudServerError("malformed activity list from the Tedee cloud")
        names: dict[int, str] = {}
        for item in result:
            if not isinstance(item, dict):
                continue
            user_id = item.get("userId")
            name = item.get("username", item.get("userName"))
            if type(user_id) is int and user_id > 0 and isinstance(name, str) and name:
                names.setdefault(user_id, name)  # newest first: the current name
        return names


def _firmware(versions: Any) -> dict[str, Any]:
    """The device-firmware entry of softwareVersions (softwareType 0, not Wi-Fi)."""
    if not isinstance(versions, list):
        return {}
    entries = [v for v in versions if isinstance(v, dict)]
    for entry in entries:
        if entry.get("softwareType") == SOFTWARE_TYPE_FIRMWARE:
            return entry
    untyped = [v for v in entries if "softwareType" not in v]
    return untyped[0] if untyped else {}


def _lock(item: Any) -> CloudLock:
    """One entry of the lock list."""
    firmware = _firmware(
        item.get("softwareVersions") if isinstance(item, dict) else None
    )
    settings = item.get("deviceSettings") if isinstance(item, dict) else None
    properties = item.get("lockProperties") if isinstance(item, dict) else None
    door = properties.get("doorState") if isinstance(properties, dict) else None
    version = firmware.get("version")
    return CloudLock(
        id=_require(item, "id", int, "lock"),
        serial_number=_require(item, "serialNumber", str, "lock"),
        name=_require(item, "name", str, "lock"),
        type=_require(item, "type", int, "lock"),
        firmware_version=version if isinstance(version, str) else None,
        update_available=bool(firmware.get("updateAvailable", False)),
        device_settings=settings if isinstance(settings, dict) else {},
        door_state=door if type(door) is int else None,
        revision=_int_or_none(item, "revision"),
        access_level=_int_or_none(item, "accessLevel"),
        device_revision=_int_or_none(item, "deviceRevision"),
        target_device_revision=_int_or_none(item, "targetDeviceRevision"),
    )


def _int_or_none(item: Any, key: str) -> int | None:
    value = item.get(key) if isinstance(item, dict) else None
    return value if type(value) is int else None

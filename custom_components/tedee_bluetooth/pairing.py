"""Pairing: a key pair on this host, registered and certified, proven over Bluetooth.

Nothing is half-done: if any step after registering the key fails, the
registration is deleted again before the error is reported.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from bleak.backends.device import BLEDevice
from bleak.exc import BleakError
from homeassistant.components import bluetooth
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import (
    CONF_CERT_EXPIRATION,
    CONF_CERT_ISSUED,
    CONF_CERTIFICATE,
    CONF_DEVICE_PUBLIC_KEY,
    CONF_LOCK_ID,
    CONF_LOCK_TYPE,
    CONF_MOBILE_ID,
    CONF_PERSONAL_KEY,
    CONF_PRIVATE_KEY,
    CONF_SERIAL,
    LOGGER,
)
from .lock_record import record_fields
from .tedee import (
    AlertCode,
    AlertError,
    CloudAuthError,
    CloudError,
    CloudLock,
    CloudRateLimitError,
    CloudScopeError,
    Credentials,
    MtuTooSmallError,
    NotConnectedError,
    NotOurLockError,
    TedeeCloud,
    TedeeError,
    TedeeLockClient,
    TrustedTimeError,
    bleak_connector,
    serial_to_service_uuid,
)
from .tedee.wire.crypto import (
    b64decode_strict,
    generate_private_key,
    private_key_to_pem,
    public_point,
    public_point_b64,
)


class PairingError(Exception):
    """Pairing failed; ``reason`` is a translation key of the config flow."""

    def __init__(
        self, reason: str, detail: str = "", placeholders: dict[str, str] | None = None
    ) -> None:
        """Keep the translation key and the values its text names."""
        self.reason = reason
        self.placeholders = placeholders or {}
        super().__init__(detail or reason)


def async_find_lock_service_info(
    hass: HomeAssistant, serial: str
) -> bluetooth.BluetoothServiceInfoBleak | None:
    """The latest advertisement of the lock with this serial, if Home Assistant hears it."""
    uuid = serial_to_service_uuid(serial)
    for info in bluetooth.async_discovered_service_info(hass, connectable=True):
        if uuid in info.service_uuids:
            return info
    return None


def async_find_lock_address(hass: HomeAssistant, serial: str) -> str | None:
    """The Bluetooth address Home Assistant hears the lock with this serial at."""
    info = async_find_lock_service_info(hass, serial)
    return info.address if info is not None else None


def freshest_device(hass: HomeAssistant, address: str) -> BLEDevice | None:
    """The best connectable path (adapter or proxy) to ``address`` right now."""
    return bluetooth.async_ble_device_from_address(hass, address, connectable=True)


async def async_pair(
    hass: HomeAssistant, cloud: TedeeCloud, personal_key: str, lock: CloudLock
) -> dict[str, Any]:
    """Register a new key, certify it and complete a handshake; return entry data."""
    address = async_find_lock_address(hass, lock.serial_number)
    if address is None:
        raise PairingError("not_in_range")
    key = generate_private_key()
    name = f"Home Assistant ({hass.config.location_name})"[:64]
    mobile_id = await cloud.register_mobile(name, public_point_b64(key))
    try:
        cert = await cloud.get_certificate(mobile_id, lock.id)
        # Compare the points, not their base64 text (the vendor wraps lines).
        if b64decode_strict(cert.mobile_public_key) != public_point(key):
            raise PairingError("cannot_connect", "certificate is for another key")
        creds = Credentials(
            private_key_to_pem(key), cert.certificate, cert.device_public_key
        )
        await _async_prove(hass, address, creds, cloud)
    except BaseException:
        try:
            await cloud.delete_mobile(mobile_id)
        except CloudError as err:
            LOGGER.warning("Could not delete the unfinished registration: %s", err)
        raise
    data: dict[str, Any] = {
        CONF_PERSONAL_KEY: personal_key,
        CONF_LOCK_ID: lock.id,
        CONF_SERIAL: lock.serial_number,
        CONF_LOCK_TYPE: lock.type,
        CONF_MOBILE_ID: mobile_id,
        CONF_PRIVATE_KEY: creds.private_key_pem,
        CONF_CERTIFICATE: cert.certificate,
        CONF_CERT_EXPIRATION: cert.expiration.isoformat(),
        CONF_CERT_ISSUED: dt_util.utcnow().isoformat(),
        CONF_DEVICE_PUBLIC_KEY: cert.device_public_key,
    }
    data.update(record_fields(lock))  # settings, and whether firmware waits
    return data


async def _async_prove(
    hass: HomeAssistant, address: str, creds: Credentials, cloud: TedeeCloud
) -> None:
    """Connect, handshake and read the state once (test before configure)."""
    device = freshest_device(hass, address)
    if device is None:
        raise PairingError("not_in_range")

    async def signed_time() -> tuple[bytes, bytes]:
        signed = await cloud.get_signed_time()
        return signed.datetime_bytes, signed.signature

    # The session's connector: stale links closed, the freshest path, HA's client.
    connect = bleak_connector(f"Tedee lock {address}", partial(freshest_device, hass))
    try:
        ble = await connect(device, lambda: None)
    except NotConnectedError as err:  # no slot free included
        raise PairingError("lock_unreachable", str(err)) from err
    try:
        client = TedeeLockClient(ble, creds, signed_time=signed_time)
    except TedeeError as err:  # a certificate or lock key that does not parse
        try:
            await ble.disconnect()
        except BleakError as close_err:
            LOGGER.debug("disconnect after pairing: %s", close_err)
        raise PairingError("cannot_connect", str(err)) from err
    try:
        await client.connect()
        await client.get_state()
    except NotOurLockError as err:
        raise PairingError("not_our_lock", str(err)) from err
    except MtuTooSmallError as err:
        raise PairingError(
            "mtu_too_small",
            str(err),
            {"mtu": str(err.mtu), "needed": str(err.needed)},
        ) from err
    except TrustedTimeError as err:
        raise PairingError("lock_no_trusted_time", str(err)) from err
    except AlertError as err:
        reason = {
            AlertCode.NOT_REGISTERED: "lock_not_registered",
            AlertCode.INVALID_CERT: "lock_invalid_certificate",
            AlertCode.NO_TRUSTED_TIME: "lock_no_trusted_time",
        }.get(err.alert or AlertCode.ERROR, "lock_unreachable")
        raise PairingError(reason, str(err)) from err
    except (TedeeError, BleakError) as err:
        raise PairingError("lock_unreachable", str(err)) from err
    finally:
        try:
            await client.disconnect()
        except (TedeeError, BleakError) as err:
            LOGGER.debug("disconnect after pairing: %s", err)


def pairing_failure(err: BaseException) -> tuple[str, dict[str, str]]:
    """The form error and placeholders for a failed pairing; unknown errors re-raise."""
    if isinstance(err, PairingError):
        return err.reason, err.placeholders
    if isinstance(err, CloudAuthError):
        return "invalid_auth", {}
    if isinstance(err, CloudScopeError):
        return "missing_scope", {"scope": err.scope}
    if isinstance(err, CloudRateLimitError):
        return "rate_limited", {"retry_after": str(err.retry_after or 60)}
    if isinstance(err, CloudError):
        return "cannot_connect", {}
    raise err

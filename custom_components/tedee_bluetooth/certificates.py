"""The 10-day certificate: renewed at half its validity, kept in the config entry.

A key the cloud rejects starts reauthentication; a cloud that fails is tried
again an hour later, and the old certificate keeps working until it expires.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import (
    CERT_MIN_SPACING,
    CERT_REFRESH_FRACTION,
    CERT_RETRY,
    CONF_CERT_EXPIRATION,
    CONF_CERT_ISSUED,
    CONF_CERTIFICATE,
    CONF_DEVICE_PUBLIC_KEY,
    CONF_LOCK_ID,
    CONF_MOBILE_ID,
    CONF_PRIVATE_KEY,
    CONF_SERIAL,
    DOMAIN,
    LOGGER,
)
from .tedee import (
    CloudAuthError,
    CloudError,
    CloudScopeError,
    Credentials,
    DeviceCertificate,
    TedeeCloud,
)

if TYPE_CHECKING:
    from . import TedeeConfigEntry

# serial -> when its certificate was last fetched for a renewal.
LAST_RENEWALS: HassKey[dict[str, datetime]] = HassKey("tedee_bluetooth_renewals")


class CertificateKeeper:
    """Renews this entry's certificate; ``after_renewal`` runs after each renewal."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TedeeConfigEntry,
        cloud: TedeeCloud,
        after_renewal: Callable[[], Awaitable[None]],
        on_clock_doubt: Callable[[], None] = lambda: None,
    ) -> None:
        """Nothing is scheduled before ``async_ensure``.

        ``on_clock_doubt()``: the cloud issued a certificate that is already
        expired by this host's clock.
        """
        self._on_clock_doubt = on_clock_doubt
        self._hass = hass
        self._entry = entry
        self._cloud = cloud
        self._after_renewal = after_renewal
        self._cancel: CALLBACK_TYPE | None = None
        self._auth_failed = False
        self._stopped = False

    def credentials(self) -> Credentials:
        """Our key, the current certificate and the lock's key."""
        data = self._entry.data
        return Credentials(
            data[CONF_PRIVATE_KEY], data[CONF_CERTIFICATE], data[CONF_DEVICE_PUBLIC_KEY]
        )

    def _refresh_due(self) -> datetime:
        data = self._entry.data
        expires = datetime.fromisoformat(data[CONF_CERT_EXPIRATION])
        issued = datetime.fromisoformat(data[CONF_CERT_ISSUED])
        return issued + (expires - issued) * (1 - CERT_REFRESH_FRACTION)

    async def async_ensure(self) -> None:
        """Before the first connection: renew if due; then keep it renewed."""
        if dt_util.utcnow() >= self._refresh_due():
            expires = datetime.fromisoformat(self._entry.data[CONF_CERT_EXPIRATION])
            renewed = await self.async_renew()
            if not renewed and dt_util.utcnow() >= expires:
                if self._auth_failed:
                    raise ConfigEntryAuthFailed(
                        translation_domain=DOMAIN, translation_key="auth_failed"
                    )
                raise ConfigEntryNotReady(
                    translation_domain=DOMAIN, translation_key="certificate_expired"
                )
            return  # renewing scheduled the next try (or started reauth)
        self._schedule()

    async def async_key_given(self) -> None:
        """A key the cloud accepts: a renewal it refused for the old key runs now.

        Otherwise the renewal already scheduled stands. A renewal that fails
        now schedules its own retry, as any other.
        """
        if self._stopped or not self._auth_failed:
            return
        self._auth_failed = False
        await self.async_renew()

    @callback
    def stop(self) -> None:
        """No more renewals (unload)."""
        self._stopped = True
        if self._cancel is not None:
            self._cancel()
            self._cancel = None

    async def async_signed_time(self) -> tuple[bytes, bytes]:
        """A cloud-signed time for a lock that lost its clock.

        A rejected key starts reauthentication: only the user can fix that.
        """
        try:
            signed = await self._cloud.get_signed_time()
        except (CloudAuthError, CloudScopeError):
            self._entry.async_start_reauth(self._hass)
            raise
        return signed.datetime_bytes, signed.signature

    async def async_renew(self) -> bool:
        """Fetch a new certificate; True once it is in the entry.

        At most one renewal per ``CERT_MIN_SPACING`` for a lock, across reloads
        and setup retries: a lock that keeps refusing certificates, or a cloud
        whose certificates are dead on arrival, costs one request an hour.
        """
        renewals = self._hass.data.setdefault(LAST_RENEWALS, {})
        serial = self._entry.data[CONF_SERIAL]
        last = renewals.get(serial)
        if last is not None and dt_util.utcnow() - last < CERT_MIN_SPACING:
            LOGGER.debug(
                "%s: certificate renewed recently; not again", self._entry.title
            )
            return False
        cert = await self._async_fetch()  # a refusal schedules its own retry
        if cert is None:
            return False
        renewals[serial] = dt_util.utcnow()
        await self._async_store(cert)
        return True

    async def async_registration_changed(self) -> bool:
        """A lock that was reset: True once the cloud vouches for its new keys.

        A reset lock added again in the Tedee app has new keys. Until then the
        cloud still names the old ones, and nothing is written or tried.
        """
        cert = await self._async_fetch()
        if cert is None:
            return False
        if cert.device_public_key == self._entry.data[CONF_DEVICE_PUBLIC_KEY]:
            LOGGER.debug("%s: the lock was not added again yet", self._entry.title)
            return False
        LOGGER.info("%s was added again in the Tedee app", self._entry.title)
        await self._async_store(cert)
        return True

    async def _async_fetch(self) -> DeviceCertificate | None:
        """A certificate from the cloud; None (and what follows) if refused."""
        data = self._entry.data
        name = self._entry.title
        try:
            return await self._cloud.get_certificate(
                data[CONF_MOBILE_ID], data[CONF_LOCK_ID]
            )
        except (CloudAuthError, CloudScopeError) as err:
            LOGGER.warning("%s: the Tedee cloud rejected the key: %s", name, err)
            self._auth_failed = True
            self._entry.async_start_reauth(self._hass)
            return None
        except CloudError as err:
            LOGGER.warning("%s: certificate refresh failed, will retry: %s", name, err)
            self._schedule(retry=True)
            return None

    async def _async_store(self, cert: DeviceCertificate) -> None:
        """Keep the certificate in the entry, schedule the next renewal."""
        data = self._entry.data
        name = self._entry.title
        self._auth_failed = False
        self._hass.config_entries.async_update_entry(
            self._entry,
            data={
                **data,
                CONF_CERTIFICATE: cert.certificate,
                CONF_CERT_EXPIRATION: cert.expiration.isoformat(),
                CONF_CERT_ISSUED: dt_util.utcnow().isoformat(),
                CONF_DEVICE_PUBLIC_KEY: cert.device_public_key,
            },
        )
        LOGGER.debug("%s: certificate renewed until %s", name, cert.expiration)
        if cert.expiration <= dt_util.utcnow():
            LOGGER.warning(
                "%s: the Tedee cloud issued a certificate that has already expired "
                "by this host's clock (%s)",
                name,
                cert.expiration,
            )
            self._on_clock_doubt()
        self._schedule(after_renewal=True)
        await self._after_renewal()

    @callback
    def _schedule(self, *, retry: bool = False, after_renewal: bool = False) -> None:
        if self._stopped:
            return
        if self._cancel is not None:
            self._cancel()
        now = dt_util.utcnow()
        when = now + CERT_RETRY if retry else self._refresh_due()
        if after_renewal:
            when = max(when, now + CERT_MIN_SPACING)

        @callback
        def _renew(_now: datetime) -> None:
            self._cancel = None
            # The entry's task: cancelled if the entry unloads while it runs.
            self._entry.async_create_background_task(
                self._hass, self.async_renew(), f"{DOMAIN} certificate renewal"
            )

        self._cancel = async_track_point_in_utc_time(
            self._hass,
            HassJob(_renew, cancel_on_shutdown=True),
            max(when, dt_util.utcnow()),
        )

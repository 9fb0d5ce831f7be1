"""Names for the user ids in activity events, from the cloud's activity list.

Optional by design: the list needs the DeviceActivity.Read scope, which a key
made for this integration may lack. A 403 turns the lookup off for the run; any
other failure is retried no sooner than RETRY_AFTER. Events never wait for it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from homeassistant.core import HomeAssistant, callback

from .const import LOGGER
from .tedee import CloudError, CloudScopeError, TedeeCloud

RETRY_AFTER = 600.0  # seconds between lookups for a user id we cannot name yet

Spawn = Callable[[Coroutine[Any, Any, None]], object]


class UserNames:
    """A cache of user id -> name for one lock, filled in the background."""

    def __init__(
        self,
        hass: HomeAssistant,
        name: str,
        cloud: TedeeCloud,
        device_id: int,
        spawn: Spawn,
    ) -> None:
        """Empty; ``spawn`` runs a lookup as a background task."""
        self._hass = hass
        self._name = name
        self._cloud = cloud
        self._device_id = device_id
        self._spawn = spawn
        self._names: dict[int, str] = {}
        self._permitted = True
        self._running = False
        self._last_try: float | None = None

    def name_of(self, user_id: int) -> str | None:
        """The cached name, if any; asks the cloud in the background if unknown."""
        name = self._names.get(user_id)
        if name is None:
            self.async_lookup()
        return name

    @callback
    def async_key_given(self) -> None:
        """A new key may read what the old one could not: look now."""
        self._permitted, self._last_try = True, None
        self.async_lookup()

    @callback
    def async_lookup(self) -> None:
        """Start a lookup unless one runs, the key may not, or one ran lately."""
        now = self._hass.loop.time()
        if (
            not self._permitted
            or self._running
            or (self._last_try is not None and now - self._last_try < RETRY_AFTER)
        ):
            return
        self._running = True
        self._last_try = now
        self._spawn(self._async_lookup())

    async def _async_lookup(self) -> None:
        try:
            self._names.update(await self._cloud.get_user_names(self._device_id))
        except CloudScopeError:
            self._permitted = False
            LOGGER.info(
                "%s: the Personal Access Key may not read device activity; "
                "activity events name users by id only",
                self._name,
            )
        except CloudError as err:
            LOGGER.debug("%s: user names not read: %s", self._name, err)
        finally:
            self._running = False

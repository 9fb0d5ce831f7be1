"""Entity actions of the lock: force lock and unlock, auto-unlock, log export."""

from __future__ import annotations

from homeassistant.components.lock.const import DOMAIN as LOCK_DOMAIN
from homeassistant.core import HomeAssistant, SupportsResponse, callback
from homeassistant.helpers import config_validation as cv, entity_platform, service
from homeassistant.helpers.typing import VolDictType
import voluptuous as vol

from .const import (
    ATTR_AUTO_UNLOCK,
    DOMAIN,
    SERVICE_EXPORT_ACTIVITY,
    SERVICE_FORCE_LOCK,
    SERVICE_FORCE_UNLOCK,
    SERVICE_UNLOCK,
)

_NONE = SupportsResponse.NONE
_ACTIONS: dict[str, tuple[VolDictType | None, str, SupportsResponse]] = {
    SERVICE_FORCE_LOCK: (None, "async_force_lock", _NONE),
    SERVICE_FORCE_UNLOCK: (None, "async_force_unlock", _NONE),
    SERVICE_UNLOCK: (
        {vol.Optional(ATTR_AUTO_UNLOCK, default=False): cv.boolean},
        "async_unlock_action",
        _NONE,
    ),
    # Writes the file, and says where and how many records it holds.
    SERVICE_EXPORT_ACTIVITY: (
        None,
        "async_export_activity",
        SupportsResponse.OPTIONAL,
    ),
}
# Current Home Assistant registers entity actions in async_setup; 2025.4 lacks the
# helper, so there they are registered when the lock platform sets up.
_HAS_PLATFORM_HELPER = hasattr(service, "async_register_platform_entity_service")


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the entity actions (current Home Assistant)."""
    if not _HAS_PLATFORM_HELPER:
        return
    for name, (schema, method, response) in _ACTIONS.items():  # pragma: no cover
        service.async_register_platform_entity_service(  # type: ignore[attr-defined]
            hass,
            DOMAIN,
            name,
            entity_domain=LOCK_DOMAIN,
            schema=schema,
            func=method,
            supports_response=response,
        )


@callback
def async_setup_platform_services() -> None:
    """Register the entity actions on the lock platform (Home Assistant 2025.4)."""
    if _HAS_PLATFORM_HELPER:
        return  # pragma: no cover - Home Assistant >= 2025.9
    platform = entity_platform.async_get_current_platform()
    for name, (schema, method, response) in _ACTIONS.items():
        platform.async_register_entity_service(
            name, schema, method, supports_response=response
        )

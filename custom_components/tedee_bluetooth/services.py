"""Entity actions: force lock and force unlock (emergency modes)."""

from __future__ import annotations

from homeassistant.components.lock.const import DOMAIN as LOCK_DOMAIN
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_platform, service

from .const import DOMAIN, SERVICE_FORCE_LOCK, SERVICE_FORCE_UNLOCK

_ACTIONS = {
    SERVICE_FORCE_LOCK: "async_force_lock",
    SERVICE_FORCE_UNLOCK: "async_force_unlock",
}
# Current Home Assistant registers entity actions in async_setup; 2025.4 lacks the
# helper, so there they are registered when the lock platform sets up.
_HAS_PLATFORM_HELPER = hasattr(service, "async_register_platform_entity_service")


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the entity actions (current Home Assistant)."""
    if not _HAS_PLATFORM_HELPER:
        return
    for name, method in _ACTIONS.items():  # pragma: no cover - Home Assistant >= 2025.9
        service.async_register_platform_entity_service(  # type: ignore[attr-defined]
            hass, DOMAIN, name, entity_domain=LOCK_DOMAIN, schema=None, func=method
        )


@callback
def async_setup_platform_services() -> None:
    """Register the entity actions on the lock platform (Home Assistant 2025.4)."""
    if _HAS_PLATFORM_HELPER:
        return  # pragma: no cover - Home Assistant >= 2025.9
    platform = entity_platform.async_get_current_platform()
    for name, method in _ACTIONS.items():
        platform.async_register_entity_service(name, None, method)

"""The demo's account: made through onboarding's own API, once, never over another."""

from __future__ import annotations

from typing import Any

from homeassistant.auth.providers.homeassistant import HassAuthProvider
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest

from simulator.demo_owner import NAME, PASSWORD, USERNAME, make_owner

pytestmark = pytest.mark.usefixtures("socket_enabled")


def _onboarding(done: list[str]) -> dict[str, Any]:
    return {
        "version": 4,
        "minor_version": 1,
        "key": "onboarding",
        "data": {"done": done},
    }


async def _url(
    hass: HomeAssistant, done: list[str], hass_storage: dict[str, Any], client: Any
) -> str:
    hass_storage["onboarding"] = _onboarding(done)
    assert await async_setup_component(hass, "onboarding", {})
    return str((await client()).make_url("")).rstrip("/")


async def test_the_demo_makes_the_owner_once(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    hass_client_no_auth: Any,
    local_auth: HassAuthProvider,
) -> None:
    # What scripts/develop writes for a new config dir: the location step is done.
    url = await _url(hass, ["core_config"], hass_storage, hass_client_no_auth)
    assert await hass.async_add_executor_job(make_owner, url)
    owners = [user for user in await hass.auth.async_get_users() if user.is_owner]
    assert [user.name for user in owners] == [NAME]
    await local_auth.async_validate_login(USERNAME, PASSWORD)  # the printed login
    users = len(await hass.auth.async_get_users())
    # Started again (a restart from the UI): the account exists, nothing is made.
    assert not await hass.async_add_executor_job(make_owner, url)
    assert len(await hass.auth.async_get_users()) == users
    # Onboarding added no integration: the location step was never posted.
    await hass.async_block_till_done()
    assert hass.config_entries.async_entries() == []


async def test_an_onboarded_home_is_left_alone(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    hass_client_no_auth: Any,
    local_auth: HassAuthProvider,
) -> None:
    done = ["user", "core_config", "analytics", "integration"]
    url = await _url(hass, done, hass_storage, hass_client_no_auth)
    assert not await hass.async_add_executor_job(make_owner, url)
    assert not [user for user in await hass.auth.async_get_users() if user.is_owner]

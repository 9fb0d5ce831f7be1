"""Config flow: Personal Access Key, pick a lock, pair over Bluetooth."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.components.bluetooth import BluetoothServiceInfoBleak
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .cloud_api import tedee_cloud
from .const import (
    CONF_LOCK_ID,
    CONF_PERSONAL_KEY,
    CONF_SERIAL,
    CONF_SETTINGS_READ_ONLY,
    DOMAIN,
    LOGGER,
)
from .options_flow import TedeeBluetoothOptionsFlow
from .pairing import async_find_lock_address, async_pair, pairing_failure
from .tedee import (
    CloudAuthError,
    CloudError,
    CloudLock,
    CloudRateLimitError,
    CloudScopeError,
    TedeeCloud,
    service_uuid_to_serial,
)

if TYPE_CHECKING:
    from .coordinator import TedeeBluetoothCoordinator

KEY_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_PERSONAL_KEY): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        )
    }
)


# Frontends up to at least 2025.4 listen for the end of a progress step only once it
# is drawn: a step that ends sooner leaves the dialog spinning for good.
PAIRING_SHOWN_AT_LEAST = 1.0


async def _async_at_least(task: asyncio.Task[Any], seconds: float) -> None:
    """Wait for ``task``, and for ``seconds``; cancelling this cancels ``task``."""
    await asyncio.gather(task, asyncio.sleep(seconds), return_exceptions=True)


class TedeeBluetoothConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Tedee lock over Bluetooth."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Nothing known yet."""
        self._key: str | None = None
        self._locks: dict[str, CloudLock] = {}
        self._lock: CloudLock | None = None
        self._discovered_serial: str | None = None
        self._discovered_name = ""
        self._pair_task: asyncio.Task[dict[str, Any]] | None = None
        self._progress_task: asyncio.Task[None] | None = None
        self._paired: dict[str, Any] | None = None
        self._pair_errors = ""
        self._pair_placeholders: dict[str, str] = {}

    def _cloud(self, key: str) -> TedeeCloud:
        return tedee_cloud(self.hass, key)

    async def _async_list_locks(
        self, key: str
    ) -> tuple[list[CloudLock] | None, dict[str, str], dict[str, str]]:
        """Validate a key by listing the account's locks; map errors to the form."""
        placeholders: dict[str, str] = {}
        try:
            locks = await self._cloud(key).get_locks()
        except CloudAuthError:
            return None, {"base": "invalid_auth"}, placeholders
        except CloudScopeError as err:
            placeholders["scope"] = err.scope
            return None, {"base": "missing_scope"}, placeholders
        except CloudRateLimitError as err:
            placeholders["retry_after"] = str(err.retry_after or 60)
            return None, {"base": "rate_limited"}, placeholders
        except CloudError as err:
            LOGGER.debug("Tedee cloud error: %s", err)
            return None, {"base": "cannot_connect"}, placeholders
        if not locks:
            return None, {"base": "no_locks"}, placeholders
        return locks, {}, placeholders

    # -- user path -------------------------------------------------------------------

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the Personal Access Key."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            key = user_input[CONF_PERSONAL_KEY].strip()
            locks, errors, placeholders = await self._async_list_locks(key)
            if locks is not None:
                self._key = key
                configured = self._async_current_ids(include_ignore=False)
                self._locks = {
                    lock.serial_number: lock
                    for lock in locks
                    if lock.serial_number not in configured
                }
                if not self._locks:
                    return self.async_abort(reason="all_configured")
                return await self.async_step_pick()
        return self.async_show_form(
            step_id="user",
            data_schema=KEY_SCHEMA,
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_pick(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick a lock of the account; say which ones Home Assistant can hear."""
        if user_input is not None:
            self._lock = self._locks[user_input[CONF_SERIAL]]
            # The user path wins over a discovery of the same lock still on screen;
            # Home Assistant ends that discovery when this entry is created.
            await self.async_set_unique_id(
                self._lock.serial_number, raise_on_progress=False
            )
            self._abort_if_unique_id_configured()
            return await self.async_step_pair()
        # Which locks Home Assistant hears is said in the (translated) description;
        # the options list those first and carry only names and serial numbers.
        heard = {s for s in self._locks if async_find_lock_address(self.hass, s)}
        options: list[SelectOptionDict] = [
            {"value": serial, "label": f"{lock.name} ({serial})"}
            for serial, lock in sorted(
                self._locks.items(), key=lambda item: item[0] not in heard
            )
        ]
        names = [self._locks[s].name for s in self._locks if s in heard]
        return self.async_show_form(
            description_placeholders={"heard": ", ".join(names) or "-"},
            step_id="pick",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_SERIAL): SelectSelector(
                        SelectSelectorConfig(
                            options=options, mode=SelectSelectorMode.LIST
                        )
                    )
                }
            ),
        )

    async def async_step_pair(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Register, certify and prove a key: seconds over Bluetooth, so in progress."""
        assert self._lock is not None
        assert self._key is not None
        if self._pair_task is None:
            self._pair_task = self.hass.async_create_task(
                async_pair(self.hass, self._cloud(self._key), self._key, self._lock),
                f"{DOMAIN} pairing {self._lock.serial_number}",
            )
        if self._progress_task is None and not self._pair_task.done():
            self._progress_task = self.hass.async_create_background_task(
                _async_at_least(self._pair_task, PAIRING_SHOWN_AT_LEAST),
                f"{DOMAIN} pairing progress",
            )
        if self._progress_task is not None and not self._progress_task.done():
            return self.async_show_progress(
                step_id="pair",
                progress_action="pairing",
                progress_task=self._progress_task,
                description_placeholders=self._lock_placeholders(),
            )
        shown, self._progress_task = self._progress_task is not None, None
        task, self._pair_task = self._pair_task, None
        if (err := task.exception()) is None:
            self._paired = task.result()
            next_step = "paired"
        else:
            LOGGER.debug("Pairing %s failed: %s", self._lock.serial_number, err)
            self._pair_errors, self._pair_placeholders = pairing_failure(err)
            next_step = "pair_failed"
        if shown:
            return self.async_show_progress_done(next_step_id=next_step)
        # Done before its first wait (say, not in range): no progress was shown.
        return await (
            self.async_step_paired()
            if next_step == "paired"
            else self.async_step_pair_failed()
        )

    async def async_step_paired(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The lock accepted our key."""
        assert self._lock is not None
        assert self._paired is not None
        return self.async_create_entry(title=self._lock.name, data=self._paired)

    async def async_step_pair_failed(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Say why pairing failed; submitting tries again."""
        if user_input is not None:
            return await self.async_step_pair()
        return self.async_show_form(
            step_id="pair_failed",
            errors={"base": self._pair_errors},
            description_placeholders={
                **self._lock_placeholders(),
                **self._pair_placeholders,
            },
        )

    def _lock_placeholders(self) -> dict[str, str]:
        assert self._lock is not None
        return {"name": self._lock.name, "serial": self._lock.serial_number}

    # -- discovery -------------------------------------------------------------------

    async def async_step_bluetooth(
        self, discovery_info: BluetoothServiceInfoBleak
    ) -> ConfigFlowResult:
        """A Tedee lock was heard over Bluetooth."""
        serial = next(
            (
                s
                for u in discovery_info.service_uuids
                if (s := service_uuid_to_serial(u))
            ),
            None,
        )
        if serial is None:
            return self.async_abort(reason="not_supported")
        await self.async_set_unique_id(serial)
        self._abort_if_unique_id_configured()
        self._discovered_serial = serial
        self._discovered_name = discovery_info.name or serial
        # A lock on the account of a lock already set up: name it as the Tedee
        # app does, and only confirm.
        for key in self._known_keys():
            locks, _errors, _placeholders = await self._async_list_locks(key)
            lock = next((x for x in locks or [] if x.serial_number == serial), None)
            if lock is not None:
                self._key, self._lock = key, lock
                self._discovered_name = lock.name
                break
        self.context["title_placeholders"] = {"name": self._discovered_name}
        if self._lock is not None:
            return await self.async_step_bluetooth_confirm_account()
        return await self.async_step_bluetooth_confirm()

    def _known_keys(self) -> list[str]:
        """The keys of the entries already set up (one per account, usually)."""
        return sorted(
            {
                entry.data[CONF_PERSONAL_KEY]
                for entry in self._async_current_entries(include_ignore=False)
            }
        )

    async def async_step_bluetooth_confirm_account(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The lock is on a known account: confirm, and pair with that key."""
        assert self._lock is not None
        if user_input is not None:
            return await self.async_step_pair()
        return self.async_show_form(
            step_id="bluetooth_confirm_account",
            data_schema=vol.Schema({}),
            description_placeholders={
                "serial": self._lock.serial_number,
                "name": self._lock.name,
            },
        )

    async def async_step_bluetooth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm; reuse the key of an entry on the same account, or ask for one."""
        assert self._discovered_serial is not None
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {
            "serial": self._discovered_serial,
            "name": self._discovered_name,
        }
        if user_input is not None:
            key = user_input[CONF_PERSONAL_KEY].strip()
            locks, errors, placeholders2 = await self._async_list_locks(key)
            placeholders.update(placeholders2)
            lock = next(
                (x for x in locks or [] if x.serial_number == self._discovered_serial),
                None,
            )
            if lock is not None:
                self._key, self._lock = key, lock
                return await self.async_step_pair()
            if locks is not None:
                errors = {"base": "lock_not_on_account"}
        return self.async_show_form(
            step_id="bluetooth_confirm",
            data_schema=KEY_SCHEMA,
            errors=errors,
            description_placeholders=placeholders,
        )

    # -- reauth and reconfigure --------------------------------------------------------

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The cloud rejected the key while renewing the certificate."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new key for the same account."""
        return await self._async_new_key(
            "reauth_confirm", self._get_reauth_entry(), user_input
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the Personal Access Key."""
        return await self._async_new_key(
            "reconfigure", self._get_reconfigure_entry(), user_input
        )

    async def _async_new_key(
        self, step_id: str, entry: ConfigEntry, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"name": entry.title}
        if user_input is not None:
            key = user_input[CONF_PERSONAL_KEY].strip()
            locks, errors, extra = await self._async_list_locks(key)
            placeholders.update(extra)
            if locks is not None:
                if any(lock.id == entry.data[CONF_LOCK_ID] for lock in locks):
                    if self.source != SOURCE_RECONFIGURE:
                        # One deleted key, one question: every lock that used it
                        # and is on this account gets the new one too.
                        self._async_give_key_to_siblings(entry, key, locks)
                    self._async_give_key(entry, key)
                    reauth = self.source != SOURCE_RECONFIGURE
                    return self.async_abort(
                        reason="reauth_successful"
                        if reauth
                        else "reconfigure_successful"
                    )
                errors = {"base": "lock_not_on_account"}
        return self.async_show_form(
            step_id=step_id,
            data_schema=KEY_SCHEMA,
            errors=errors,
            description_placeholders=placeholders,
        )

    @callback
    def _async_give_key(self, entry: ConfigEntry, key: str) -> None:
        """Store a key in an entry; a loaded entry takes it in place.

        The entry's update listener hands a new key to the coordinator (no
        reload, so no entity goes through "unavailable"). Only an entry whose
        setup failed reloads: there is nothing to hand the key to.
        """
        same_key = entry.data[CONF_PERSONAL_KEY] == key
        data = {**entry.data, CONF_PERSONAL_KEY: key}
        if data.get(CONF_SETTINGS_READ_ONLY) == "scope":
            data[CONF_SETTINGS_READ_ONLY] = None  # the new key may have the scope
        self.hass.config_entries.async_update_entry(entry, data=data)
        if entry.state is not ConfigEntryState.LOADED:
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        elif same_key:
            # The same key works again: the listener sees no new key, so say it.
            coordinator: TedeeBluetoothCoordinator = entry.runtime_data
            coordinator.use_key(key)

    @callback
    def _async_give_key_to_siblings(
        self, entry: ConfigEntry, key: str, locks: list[CloudLock]
    ) -> None:
        """The other entries with the old key, on this account: new key, no question."""
        old = entry.data[CONF_PERSONAL_KEY]
        on_account = {lock.id for lock in locks}
        siblings = [
            other
            for other in self._async_current_entries(include_ignore=False)
            if other.entry_id != entry.entry_id
            and other.data[CONF_PERSONAL_KEY] == old
            and other.data[CONF_LOCK_ID] in on_account
        ]
        for other in siblings:
            self._async_give_key(other, key)
            for flow in other.async_get_active_flows(self.hass, {SOURCE_REAUTH}):
                self.hass.config_entries.flow.async_abort(flow["flow_id"])

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Options: pull on unlock, connection mode, refresh interval."""
        return TedeeBluetoothOptionsFlow()

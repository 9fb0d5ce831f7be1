"""Options of one lock: pulling the spring, connection mode, refresh, reading the log."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
)
import voluptuous as vol

from .const import (
    CONF_CONNECTION_MODE,
    CONF_PULL_ON_UNLOCK,
    CONF_READ_ACTIVITY_LOG,
    CONF_REFRESH_INTERVAL,
    DEFAULT_REFRESH_INTERVAL,
    MODE_ALWAYS,
    MODE_ON_DEMAND,
)


class TedeeBluetoothOptionsFlow(OptionsFlow):
    """Options of one lock."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """One form with every option."""
        if user_input is not None:
            user_input[CONF_REFRESH_INTERVAL] = int(user_input[CONF_REFRESH_INTERVAL])
            return self.async_create_entry(data=user_input)
        options = self.config_entry.options
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_PULL_ON_UNLOCK, default=options.get(CONF_PULL_ON_UNLOCK, True)
                ): bool,
                vol.Required(
                    CONF_READ_ACTIVITY_LOG,
                    default=options.get(CONF_READ_ACTIVITY_LOG, True),
                ): bool,
                vol.Required(
                    CONF_CONNECTION_MODE,
                    default=options.get(CONF_CONNECTION_MODE, MODE_ALWAYS),
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=[MODE_ALWAYS, MODE_ON_DEMAND],
                        translation_key=CONF_CONNECTION_MODE,
                    )
                ),
                vol.Required(
                    CONF_REFRESH_INTERVAL,
                    default=options.get(
                        CONF_REFRESH_INTERVAL, DEFAULT_REFRESH_INTERVAL
                    ),
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=60,
                        max=3600,
                        step=30,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="s",
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=schema,
            description_placeholders={"name": self.config_entry.title},
        )

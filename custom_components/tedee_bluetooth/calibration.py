"""Guided calibration from Home Assistant: a repair flow that walks the owner through.

The lock learns its locked and unlocked positions while the owner turns the knob
by hand (CALIBRATION_INIT, CALIBRATE_LOCKED, CALIBRATE_UNLOCKED), then says how
it went (CALIBRATION_FINISHED: ok, positions too close, timeout after 3
minutes). A lock with a pull spring may then find the spring's position by
itself (PULL_CALIBRATION_INIT and _START, then PULL_CALIBRATION_FINISHED).
Closing the dialog half-way cancels the calibration at the lock.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from homeassistant import data_entry_flow
from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
import voluptuous as vol

from .const import CONF_PULL_SPRING_ENABLED, DOMAIN, LOGGER
from .tedee import (
    CalibrationFinished,
    CalibrationResult,
    Command,
    LockState,
    NotificationCode,
)

if TYPE_CHECKING:
    from .coordinator import TedeeBluetoothCoordinator

# How long the lock may take to say how a calibration went, once asked.
RESULT_WAIT = 30.0
PULL_RESULT_WAIT = 60.0  # it moves the spring to find its position


class Calibrator:
    """Calibration commands of one lock, and the results the lock sends back."""

    def __init__(self, coordinator: TedeeBluetoothCoordinator) -> None:
        """No calibration is waiting for its result."""
        self._coordinator = coordinator
        self._waiting: dict[int, asyncio.Future[int]] = {}

    @callback
    def finished(self, notification: CalibrationFinished) -> None:
        """The lock says how a calibration went."""
        future = self._waiting.pop(notification.code, None)
        if future is not None and not future.done():
            future.set_result(notification.result)

    async def async_step(
        self, step: Command, finishes: NotificationCode | None = None
    ) -> int | None:
        """Send one step; with ``finishes``, return the lock's result (None: none came).

        A refused or failed step raises a translated HomeAssistantError.
        """
        future: asyncio.Future[int] | None = None
        if finishes is not None:
            future = asyncio.get_running_loop().create_future()
            self._waiting[finishes] = future
        try:
            await self._coordinator.async_command(lambda c: c.calibrate(step))
            if future is None:
                return None
            wait = (
                PULL_RESULT_WAIT
                if finishes == NotificationCode.PULL_CALIBRATION_FINISHED
                else RESULT_WAIT
            )
            try:
                async with asyncio.timeout(wait):
                    return await future
            except TimeoutError:
                return None
        finally:
            if finishes is not None and self._waiting.get(finishes) is future:
                del self._waiting[finishes]


_FAILURES: dict[int, str] = {
    CalibrationResult.POSITIONS_TOO_CLOSE: "too_close",
    CalibrationResult.TIMEOUT: "timed_out",
}


class CalibrationFlow(RepairsFlow):
    """Start, locked position, unlocked position, the lock's verdict; the spring."""

    def __init__(self, entry_id: str) -> None:
        """For the lock of this entry."""
        self._entry_id = entry_id
        self._open: Command | None = None  # what cancels the calibration under way

    def _coordinator(self) -> TedeeBluetoothCoordinator | None:
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return None
        coordinator: TedeeBluetoothCoordinator = entry.runtime_data
        return coordinator

    def _calibrator(self) -> Calibrator | None:
        coordinator = self._coordinator()
        return None if coordinator is None else coordinator.calibrator

    def _ended(self) -> bool:
        """The lock left calibration by itself (its 3 minutes ran out)."""
        coordinator = self._coordinator()
        return coordinator is not None and (
            coordinator.data.state is not LockState.CALIBRATION
        )

    def _placeholders(self) -> dict[str, str]:
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        return {"name": entry.title if entry else "Tedee"}

    def _form(
        self, step_id: str, errors: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        return self.async_show_form(
            step_id=step_id,
            data_schema=vol.Schema({}),
            errors=errors,
            description_placeholders=self._placeholders(),
        )

    async def _send(
        self, step: Command, finishes: NotificationCode | None = None
    ) -> tuple[int | None, str | None]:
        """The step's result, or why it could not be sent (an error key)."""
        calibrator = self._calibrator()
        if calibrator is None:
            return None, "not_loaded"
        try:
            return await calibrator.async_step(step, finishes), None
        except HomeAssistantError as err:
            LOGGER.info("%s: calibration step %s: %s", self._entry_id, step.name, err)
            return None, err.translation_key or "step_failed"

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        """What will happen (the repair's data is not an answer)."""
        if self._calibrator() is None:
            return self.async_abort(reason="not_loaded")
        return self._form("confirm")

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        """Submitted: start the calibration at the lock."""
        _result, error = await self._send(Command.CALIBRATION_INIT)
        if error is not None:
            return self._form("confirm", {"base": _error_key(error)})
        self._open = Command.CALIBRATION_CANCEL
        return self._form("locked")

    async def async_step_locked(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        """The knob is at the locked position: the lock saves it."""
        if self._ended():
            self._open = None
            return self._form("timed_out")
        _result, error = await self._send(Command.CALIBRATE_LOCKED)
        if error is not None:
            return self._form("locked", {"base": _error_key(error)})
        return self._form("unlocked")

    async def async_step_unlocked(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        """The knob is at the unlocked position: the lock saves it and says how it went."""
        if self._ended():
            self._open = None
            return self._form("timed_out")
        result, error = await self._send(
            Command.CALIBRATE_UNLOCKED, NotificationCode.CALIBRATION_FINISHED
        )
        if error is not None:
            return self._form("unlocked", {"base": _error_key(error)})
        self._open = None
        if result != CalibrationResult.OK:
            failure = (
                _FAILURES.get(result, "failed") if result is not None else "failed"
            )
            return self._form(failure)
        return await self.async_step_calibrated()

    async def async_step_calibrated(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        """Calibrated; a lock with a pull spring may find the spring's position next."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is not None and entry.data.get(CONF_PULL_SPRING_ENABLED):
            return self.async_show_menu(
                step_id="calibrated",
                menu_options=["pull_spring", "done"],
                description_placeholders=self._placeholders(),
            )
        return await self.async_step_done()

    async def async_step_too_close(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        """Positions too close: try again from the start."""
        return await self.async_step_confirm({})

    async def async_step_timed_out(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        """The lock's 3 minutes passed: try again from the start."""
        return await self.async_step_confirm({})

    async def async_step_failed(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        """The lock reported an error (or nothing): try again from the start."""
        return await self.async_step_confirm({})

    async def async_step_pull_spring(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        """The spring: the lock finds its position by itself."""
        if user_input is None:
            return self._form("pull_spring")
        _result, error = await self._send(Command.PULL_CALIBRATION_INIT)
        if error is None:
            self._open = Command.PULL_CALIBRATION_CANCEL
            result, error = await self._send(
                Command.PULL_CALIBRATION_START,
                NotificationCode.PULL_CALIBRATION_FINISHED,
            )
            if error is None and result != CalibrationResult.OK:
                error = "pull_failed"
        if error is not None:
            return self._form("pull_spring", {"base": _error_key(error)})
        self._open = None
        return await self.async_step_done()

    async def async_step_done(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        """Calibrated: the repair is done."""
        return self.async_create_entry(data={})

    @callback
    def async_remove(self) -> None:
        """The dialog closed half-way: cancel the calibration at the lock."""
        cancel, self._open = self._open, None
        calibrator = self._calibrator()
        if cancel is None or calibrator is None:
            return
        self.hass.async_create_background_task(
            _async_cancel(calibrator, cancel), f"{DOMAIN} calibration cancel"
        )


async def _async_cancel(calibrator: Calibrator, cancel: Command) -> None:
    try:
        await calibrator.async_step(cancel)
    except HomeAssistantError as err:  # the lock's own 3-minute timeout ends it
        LOGGER.debug("Cancelling a calibration failed: %s", err)


# Errors a step shows in the dialog; any other refusal reads "step_failed".
_SHOWN_ERRORS = frozenset(
    {
        "not_loaded",
        "result_busy",
        "result_error",
        "pull_failed",
        "not_connected",
        "out_of_range",
        "outcome_unknown",
    }
)


def _error_key(key: str) -> str:
    return key if key in _SHOWN_ERRORS else "step_failed"

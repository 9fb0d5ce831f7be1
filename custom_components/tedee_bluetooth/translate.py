"""Library errors as translated Home Assistant errors, every placeholder filled."""

from __future__ import annotations

from typing import Any

from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN, LOGGER
from .tedee import (
    CommandError,
    OutcomeUnknownError,
    ResultCode,
    SessionError,
    TedeeError,
    decode_seconds_since_unlock,
)

# The lock's refusals of an auto-unlock within 3 minutes of the last unlock.
_AUTO_UNLOCK_GUARD = frozenset(
    {
        ResultCode.ALREADY_CALLED_BY_AUTOUNLOCK,
        ResultCode.ALREADY_CALLED_BY_OTHER_OPERATION,
    }
)


def translated(err: SessionError | None, name: str) -> dict[str, Any]:
    """Keyword arguments of a translated error: why no session, or cannot_connect."""
    return {
        "translation_domain": DOMAIN,
        "translation_key": "cannot_connect" if err is None else err.reason,
        "translation_placeholders": {
            "name": name,
            **({} if err is None else err.details),
        },
    }


def command_error(err: TedeeError, name: str) -> HomeAssistantError:
    """What the user is told when a command was refused or failed."""
    if isinstance(err, SessionError):
        return HomeAssistantError(**translated(err, name))
    placeholders = {"name": name}
    if isinstance(err, CommandError):
        key = _result_key(err.result)
        if err.result in _AUTO_UNLOCK_GUARD:
            # The guard's answer says how long ago the last unlock was.
            seconds = decode_seconds_since_unlock(err.data)
            if seconds is None:
                key += "_recently"
            else:
                placeholders["seconds"] = str(seconds)
    elif isinstance(err, OutcomeUnknownError):
        # Sent, never answered: the lock may have moved. It is never resent.
        key = "outcome_unknown"
    else:
        LOGGER.debug("%s: command failed: %s", name, err)
        key = "command_failed"
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def _result_key(result: int) -> str:
    try:
        return f"result_{ResultCode(result).name.lower()}"
    except ValueError:
        return "result_error"

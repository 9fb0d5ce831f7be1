"""Every translation has the same keys and placeholders as strings.json."""

from __future__ import annotations

from datetime import UTC, datetime
import json
from pathlib import Path
import re
from typing import Any

import pytest

from custom_components.tedee_bluetooth.models import EVENT_TYPES, event_from_log
from custom_components.tedee_bluetooth.tedee.wire.logs import EventId, LogRecord

BASE = Path(__file__).parent.parent / "custom_components" / "tedee_bluetooth"
STRINGS = json.loads((BASE / "strings.json").read_text())


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


@pytest.mark.parametrize("language", ["en", "de"])
def test_translation_matches_strings(language: str) -> None:
    translation = flatten(
        json.loads((BASE / "translations" / f"{language}.json").read_text())
    )
    strings = flatten(STRINGS)
    assert translation.keys() == strings.keys()
    for key, text in strings.items():
        assert set(re.findall(r"{\w+}", translation[key])) == set(
            re.findall(r"{\w+}", text)
        ), key


def test_every_raised_translation_key_exists() -> None:
    source = "".join(p.read_text() for p in BASE.glob("*.py"))
    raised = set(re.findall(r'translation_key="(\w+)"', source))
    raised |= {
        f"result_{name}"
        for name in (
            "invalid_param",
            "error",
            "busy",
            "not_found",
            "not_calibrated",
            "already_called_by_autounlock",
            "no_permission",
            "not_configured",
            "dismounted",
            "already_called_by_other_operation",
        )
    }
    entities = {key for platform in STRINGS["entity"].values() for key in platform}
    known = set(STRINGS["exceptions"]) | entities | {"lock", "not_registered"}
    assert raised <= known, raised - known


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_log_event_id_has_a_translated_type(language: str) -> None:
    """No event id the vendor lists falls into "other"; each reads well."""
    translation = json.loads((BASE / "translations" / f"{language}.json").read_text())
    states = translation["entity"]["event"]["activity"]["state_attributes"][
        "event_type"
    ]["state"]
    for event_id in EventId:
        record = LogRecord(event_id, 0, datetime.now(UTC), 1, None, None)
        event_type = event_from_log(record).event_type
        assert event_type != "other", event_id.name
        assert event_type in EVENT_TYPES
        assert states[event_type]

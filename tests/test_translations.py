"""Every translation has the same keys and placeholders as strings.json."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest

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

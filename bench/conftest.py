"""The suite's simulators behind Home Assistant, for measuring (nothing asserted)."""

from tests.ha_fixtures import sim  # noqa: F401 - the Home Assistant fixture

"""The suite's simulators behind Home Assistant, for measuring (nothing asserted)."""

from tests.esphome_fixtures import proxied  # noqa: F401 - Home Assistant behind proxies
from tests.ha_fixtures import sim  # noqa: F401 - the Home Assistant fixture

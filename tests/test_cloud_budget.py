"""The account's cloud budget: a hard hourly cap, and silence after a 429."""

from __future__ import annotations

import pytest

from custom_components.tedee_bluetooth.tedee import CloudRateLimitError
from custom_components.tedee_bluetooth.tedee.cloud.budget import CloudBudget


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_hourly_cap_holds_over_any_rolling_hour() -> None:
    clock = Clock()
    budget = CloudBudget(hourly_cap=10, clock=clock)
    for _ in range(10):
        budget.take()
        clock.now += 60
    with pytest.raises(CloudRateLimitError) as err:
        budget.take()
    # The oldest request (at 1000 s) leaves the window at 4600 s; now is 1600 s.
    assert err.value.retry_after == 3000
    assert budget.withheld == 1 and budget.total == 10
    clock.now = 4600.0
    budget.take()  # one left the window, one may go
    assert budget.used == 10


def test_a_429_silences_every_request_until_the_window_ends() -> None:
    clock = Clock()
    budget = CloudBudget(clock=clock)
    budget.refused(42)
    with pytest.raises(CloudRateLimitError) as err:
        budget.take()
    assert err.value.retry_after == 42
    clock.now += 42
    budget.take()
    budget.refused(None)  # no Retry-After: the account's hour
    clock.now += 3599
    with pytest.raises(CloudRateLimitError) as err:
        budget.take()
    assert err.value.retry_after == 1
    clock.now += 1
    budget.take()
    assert budget.total == 2

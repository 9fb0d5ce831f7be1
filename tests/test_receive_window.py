"""The receive window and the reorderer, on their own (pure, no I/O, no clock)."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.tedee_bluetooth.tedee.errors import IntegrityError
from custom_components.tedee_bluetooth.tedee.link.reorder import LinkCounts, Reorderer
from custom_components.tedee_bluetooth.tedee.wire.crypto import TrafficKeys, nonce_for
from custom_components.tedee_bluetooth.tedee.wire.record import (
    HISTORY,
    REKEY_MARGIN,
    WINDOW,
    DuplicateFrameError,
    ReceiveWindow,
)

KEYS = TrafficKeys(os.urandom(16), os.urandom(12))


def seal(counter: int, plain: bytes = b"") -> bytes:
    """What the lock sends under ``counter`` (its own cipher, not ours)."""
    return AESGCM(KEYS.key).encrypt(
        nonce_for(KEYS.iv, counter), plain or bytes([counter & 0xFF]), None
    )


def test_in_order_frames_open_with_their_counters() -> None:
    window = ReceiveWindow(KEYS)
    assert [window.open(seal(n))[0] for n in range(5)] == [0, 1, 2, 3, 4]


def test_swapped_frames_open_and_each_counter_once() -> None:
    window = ReceiveWindow(KEYS)
    assert window.open(seal(1)) == (1, b"\x01")
    assert window.open(seal(0)) == (0, b"\x00")  # late, into the hole behind
    assert window.open(seal(2))[0] == 2


def test_an_exact_repeat_is_a_duplicate_not_a_forgery() -> None:
    window = ReceiveWindow(KEYS)
    frame = seal(0)
    window.open(frame)
    with pytest.raises(DuplicateFrameError):
        window.open(frame)
    assert window.open(seal(1))[0] == 1  # and the session goes on


def test_no_counter_is_ever_accepted_twice() -> None:
    """Another message under a used counter (nonce reuse) authenticates nowhere."""
    window = ReceiveWindow(KEYS)
    window.open(seal(0, b"first"))
    with pytest.raises(IntegrityError):
        window.open(seal(0, b"other"))


def test_a_repeat_older_than_the_remembered_tags_is_refused() -> None:
    window = ReceiveWindow(KEYS)
    old = seal(0)
    window.open(old)
    for n in range(1, HISTORY + 2):
        window.open(seal(n))
    with pytest.raises(IntegrityError):
        window.open(old)


def test_forgeries_are_refused() -> None:
    window = ReceiveWindow(KEYS)
    with pytest.raises(IntegrityError):
        window.open(os.urandom(30))
    with pytest.raises(IntegrityError):
        window.open(b"short")
    other = TrafficKeys(os.urandom(16), KEYS.iv)
    wrong_key = AESGCM(other.key).encrypt(nonce_for(KEYS.iv, 0), b"x", None)
    with pytest.raises(IntegrityError):
        window.open(wrong_key)


def test_the_window_is_bounded_ahead() -> None:
    """At most WINDOW counters are tried: the last one in reach opens, the next not."""
    window = ReceiveWindow(KEYS)
    assert window.open(seal(WINDOW - 1))[0] == WINDOW - 1
    window = ReceiveWindow(KEYS)
    with pytest.raises(IntegrityError):
        window.open(seal(WINDOW))


def test_holes_behind_stay_open_until_they_leave_the_history() -> None:
    window = ReceiveWindow(KEYS)
    window.open(seal(10))  # 0..9 are holes now
    assert window.open(seal(3))[0] == 3
    assert window.open(seal(9))[0] == 9


def test_a_new_session_is_asked_for_before_the_counter_could_wrap() -> None:
    window = ReceiveWindow(KEYS)
    window.next = 0xFFFF - REKEY_MARGIN - 1
    assert not window.needs_rekey
    window.open(seal(window.next))
    assert window.needs_rekey


@settings(max_examples=200, deadline=None)
@given(st.permutations(list(range(12))), st.integers(0, 3))
def test_any_local_shuffle_opens_every_frame_exactly_once(
    order: list[int], repeats: int
) -> None:
    window = ReceiveWindow(KEYS)
    frames = {n: seal(n) for n in order}
    opened: list[int] = []
    for n in order:
        opened.append(window.open(frames[n])[0])
        for _ in range(repeats):  # the radio repeats it
            with pytest.raises(DuplicateFrameError):
                window.open(frames[n])
    assert sorted(opened) == list(range(12))
    assert opened == order


def test_reorderer_restores_the_locks_order() -> None:
    counts = LinkCounts()
    reorder: Reorderer[str] = Reorderer(counts, hold=0.3)
    assert reorder.push(1, "b", now=0.0) == []  # waits for 0
    assert reorder.deadline == pytest.approx(0.3)
    ready = reorder.push(0, "a", now=0.1)
    assert [(d.counter, d.item, d.late) for d in ready] == [
        (0, "a", False),
        (1, "b", False),
    ]
    assert reorder.deadline is None
    assert counts.reordered == 1


def test_reorderer_gives_up_a_gap_after_the_hold_and_marks_stragglers_late() -> None:
    counts = LinkCounts()
    reorder: Reorderer[str] = Reorderer(counts, hold=0.3)
    reorder.push(0, "a", now=0.0)
    reorder.push(2, "c", now=0.0)
    reorder.push(3, "d", now=0.0)
    assert reorder.expire(now=0.2) == []  # not yet
    ready = reorder.expire(now=0.3)
    assert [d.item for d in ready] == ["c", "d"]
    assert counts.missed == 1
    (late,) = reorder.push(1, "b", now=0.5)
    assert (late.item, late.late) == ("b", True)
    assert counts.late == 1
    assert counts.flaky
    assert not LinkCounts().flaky

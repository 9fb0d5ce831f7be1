"""AES-128-GCM record protection with the per-direction 16-bit counter of PTLS."""

from __future__ import annotations

from collections.abc import Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import IntegrityError, SessionExhaustedError, TedeeError
from .const import GCM_TAG_SIZE, MAX_RECORD_COUNTER
from .crypto import TrafficKeys, nonce_for


class RecordCipher:
    """Seals or opens the records of one direction; the counter never wraps.

    Counter 0xFFFF is never used: reaching it means the session must be made anew,
    so a nonce can never repeat under one key.
    """

    __slots__ = ("_aead", "_iv", "counter")

    def __init__(self, keys: TrafficKeys) -> None:
        """Start at counter 0, as every new key does."""
        self._aead = AESGCM(keys.key)
        self._iv = keys.iv
        self.counter = 0

    def _next_nonce(self) -> bytes:
        if self.counter >= MAX_RECORD_COUNTER:
            raise SessionExhaustedError("record counter exhausted; reconnect")
        nonce = nonce_for(self._iv, self.counter)
        self.counter += 1
        return nonce

    def seal(self, plaintext: bytes) -> bytes:
        """Encrypt and authenticate; ciphertext carries the 16-byte tag at its end."""
        return self._aead.encrypt(self._next_nonce(), plaintext, None)

    def open(self, ciphertext: bytes) -> bytes:
        """Authenticate and decrypt the next record; raise IntegrityError on failure.

        A failed record still consumes its counter value: the peer did, and the
        session is dead anyway.
        """
        if len(ciphertext) < GCM_TAG_SIZE:
            raise IntegrityError("encrypted frame shorter than its tag")
        nonce = self._next_nonce()
        try:
            return self._aead.decrypt(nonce, bytes(ciphertext), None)
        except InvalidTag as err:
            raise IntegrityError("encrypted frame failed authentication") from err


class DuplicateFrameError(TedeeError):
    """A frame we already opened arrived again; it is dropped, never re-delivered."""


WINDOW = 32  # decryption attempts per frame at most
HISTORY = 64  # counters behind the newest that are remembered (used or missed)
REKEY_MARGIN = 256  # make a new session this many counters before the last one


class ReceiveWindow:
    """Opens the lock's frames whatever order the radio delivers them in.

    The lock seals replies and notifications under one counter, but a proxy or
    host stack may swap or repeat them. As in DTLS and IPsec replay protection:
    try the next expected counter, then the unused counters just behind it (late
    frames), then the ones ahead (early frames), at most WINDOW in all. A bitmap
    remembers which of the last HISTORY counters were used, so none is accepted
    twice; exact repeats are recognised by their tag without any decryption.
    A frame that authenticates under no candidate is never opened.

    WINDOW = 32: one command makes the lock send a reply and up to ~5 status
    notifications, and HAS_LOGS repeats; 32 covers several such bursts swapped
    while costing at most 32 tag checks (about 0.2 ms) for a forged frame.
    """

    __slots__ = ("_aead", "_iv", "_recent_tags", "_used", "next")

    def __init__(self, keys: TrafficKeys) -> None:
        """Expect counter 0, as every new key does."""
        self._aead = AESGCM(keys.key)
        self._iv = keys.iv
        self.next = 0  # one past the highest counter opened
        self._used = 0  # bit i set: counter next-1-i was opened
        self._recent_tags: dict[bytes, None] = {}

    @property
    def needs_rekey(self) -> bool:
        """The counter is near its end: make a new session before it could wrap."""
        return self.next >= MAX_RECORD_COUNTER - REKEY_MARGIN

    def _candidates(self) -> Iterator[int]:
        """Next expected first, then holes behind (newest first), then ahead."""
        tried = 0
        if self.next < MAX_RECORD_COUNTER:
            tried += 1
            yield self.next
        for i in range(min(HISTORY, self.next)):
            if tried >= WINDOW:
                return
            if not self._used >> i & 1:
                tried += 1
                yield self.next - 1 - i
        for counter in range(self.next + 1, MAX_RECORD_COUNTER):
            if tried >= WINDOW:
                return
            tried += 1
            yield counter

    def open(self, ciphertext: bytes) -> tuple[int, bytes]:
        """Return (counter, plaintext); raise DuplicateFrameError or IntegrityError."""
        ciphertext = bytes(ciphertext)
        if len(ciphertext) < GCM_TAG_SIZE:
            raise IntegrityError("encrypted frame shorter than its tag")
        tag = ciphertext[-GCM_TAG_SIZE:]
        if tag in self._recent_tags:
            raise DuplicateFrameError("frame delivered twice")
        for counter in self._candidates():
            try:
                plain = self._aead.decrypt(
                    nonce_for(self._iv, counter), ciphertext, None
                )
            except InvalidTag:
                continue
            self._mark(counter, tag)
            return counter, plain
        raise IntegrityError("encrypted frame failed authentication")

    def _mark(self, counter: int, tag: bytes) -> None:
        if counter >= self.next:
            shift = counter + 1 - self.next
            self._used = (self._used << shift) & ((1 << HISTORY) - 1)
            self.next = counter + 1
            self._used |= 1
        else:
            self._used |= 1 << (self.next - 1 - counter)
        self._recent_tags[tag] = None
        if len(self._recent_tags) > HISTORY:
            del self._recent_tags[next(iter(self._recent_tags))]

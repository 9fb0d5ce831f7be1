"""AES-128-GCM record protection with the per-direction 16-bit counter of PTLS."""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .const import GCM_TAG_SIZE, MAX_RECORD_COUNTER
from .crypto import TrafficKeys, nonce_for
from .errors import IntegrityError, SessionExhaustedError


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

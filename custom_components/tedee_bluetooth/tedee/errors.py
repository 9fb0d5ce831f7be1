"""Typed errors of the Tedee library: each says what happened, none is a bare ValueError."""

from __future__ import annotations

from .wire.const import AlertCode, Command, ResultCode


class TedeeError(Exception):
    """Base of every error the library raises."""


class ProtocolError(TedeeError):
    """The peer sent something that does not follow the protocol (malformed, unexpected)."""


class HandshakeError(TedeeError):
    """The PTLS handshake could not be completed."""


class NotOurLockError(HandshakeError):
    """The lock failed to prove it holds the key the cloud certificate names.

    Raised before the client verify is sent, so our certificate is never shown to it.
    """


class AlertError(HandshakeError):
    """The lock ended the PTLS attempt or session with an alert."""

    def __init__(self, code: int, *, refused_time: bool = False) -> None:
        """Keep the raw code and its name.

        ``refused_time``: it answered our server verify request, whose only
        content is our clock's "now"; an ERROR then means the lock's clock and
        ours disagree, not that the certificate is bad (it was not sent yet).
        """
        self.code = code
        self.refused_time = refused_time
        try:
            self.alert: AlertCode | None = AlertCode(code)
            name = self.alert.name
        except ValueError:
            self.alert = None
            name = "UNKNOWN"
        super().__init__(f"lock sent PTLS alert 0x{code:02x} ({name})")


class IntegrityError(TedeeError):
    """An encrypted frame failed authentication: the session can no longer be trusted."""


class SessionExhaustedError(TedeeError):
    """A record counter reached its limit; the session must be re-established."""


class NotConnectedError(TedeeError):
    """No established session (or link) to run the operation on."""


class LockTimeoutError(TedeeError):
    """The lock did not answer in time."""


class OutcomeUnknownError(LockTimeoutError):
    """A command went out but its answer never came: the lock may have acted.

    Never resent blindly; read the state and let the user decide.
    """


class TrustedTimeError(TedeeError):
    """The lock would not accept a signed time."""


class CommandError(TedeeError):
    """The lock answered a command with a result other than SUCCESS."""

    def __init__(self, opcode: int, result: int, data: bytes = b"") -> None:
        """Keep opcode, result and any data that came with it."""
        self.opcode = opcode
        self.result = result
        self.data = data
        try:
            cmd_name = Command(opcode).name
        except ValueError:
            cmd_name = f"0x{opcode:02x}"
        try:
            res_name = ResultCode(result).name
        except ValueError:
            res_name = f"0x{result:02x}"
        super().__init__(f"{cmd_name} failed: {res_name}")


class CloudError(TedeeError):
    """Base of Tedee cloud errors."""


class CloudAuthError(CloudError):
    """The Personal Access Key was rejected (HTTP 401)."""


class CloudScopeError(CloudError):
    """The key lacks the scope a call needs (HTTP 403)."""

    def __init__(self, scope: str) -> None:
        """Name the missing scope."""
        self.scope = scope
        super().__init__(f"the Personal Access Key lacks the {scope} scope")


class CloudRateLimitError(CloudError):
    """Too many requests (HTTP 429); retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: int | None) -> None:
        """Keep the Retry-After value."""
        self.retry_after = retry_after
        when = f" in {retry_after} s" if retry_after is not None else " later"
        super().__init__(f"Tedee cloud rate limit reached; retry{when}")


class CloudNotFoundError(CloudError):
    """The cloud has no such object (HTTP 404)."""


class CloudConflictError(CloudError):
    """The record changed since it was read (HTTP 409): read it again, then retry."""


class CloudServerError(CloudError):
    """The cloud failed (5xx), timed out, could not be reached or sent a bad body."""


class NoConnectionSlotError(NotConnectedError):
    """The adapter or proxy has no free connection slot for the lock."""


class SessionError(TedeeError):
    """The session could not do what was asked; ``reason`` says why.

    ``reason`` is one word a user is told (``out_of_range``, ``not_registered``,
    ``invalid_certificate``, ``no_trusted_time``, ``no_connection_slot``,
    ``mtu_too_small``, ``cannot_connect``, ``lock_busy``, ``not_connected``);
    ``details`` fill its message.
    """

    def __init__(self, reason: str, **details: str) -> None:
        """Keep the reason and its details."""
        self.reason = reason
        self.details = details
        super().__init__(reason)


class MtuTooSmallError(HandshakeError):
    """The link's ATT MTU cannot carry the lock's server verify in one notification."""

    def __init__(self, mtu: int, needed: int) -> None:
        """Name the MTU we have and the one a handshake needs."""
        self.mtu = mtu
        self.needed = needed
        super().__init__(
            f"the Bluetooth link's ATT MTU is {mtu}; a Tedee handshake needs at "
            f"least {needed}"
        )

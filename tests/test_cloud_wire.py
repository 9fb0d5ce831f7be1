"""The cloud client reads what the vendor's API really sends (PROTOCOL.md section 3).

Paged lock lists, the firmware entry among softwareVersions, an expiration without
a time zone, line-wrapped base64 and error bodies without a result.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
import textwrap
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.tedee_bluetooth.tedee import (
    CloudError,
    CloudScopeError,
    TedeeCloud,
)
from custom_components.tedee_bluetooth.tedee.cloud.api import LOCKS_PER_PAGE
from simulator.cloud import ALL_SCOPES, make_app
from simulator.cloud_activity import SCOPE

from .world import ACCOUNT, KEY, World

pytestmark = pytest.mark.usefixtures("socket_enabled")

Serve = Callable[[dict[str, Any]], Awaitable[TedeeCloud]]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
async def serve(session: aiohttp.ClientSession) -> AsyncIterator[Serve]:
    """A cloud that answers each path with a canned (status, body)."""
    servers: list[TestServer] = []

    async def start(routes: dict[str, Any]) -> TedeeCloud:
        app = web.Application()
        for path, (status, body) in routes.items():

            async def handler(
                _r: web.Request, status: int = status, body: Any = body
            ) -> web.Response:
                return web.json_response(body, status=status)

            app.router.add_get(f"/api/v37{path}", handler)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return TedeeCloud(session, KEY, base_url=str(server.make_url("/api/v37")))

    yield start
    for server in servers:
        await server.close()


async def _sim_cloud(
    world: World, session: aiohttp.ClientSession
) -> tuple[TedeeCloud, TestServer]:
    server = TestServer(make_app(world.cloud), host="127.0.0.1")
    await server.start_server()
    api = TedeeCloud(session, KEY, base_url=str(server.make_url("/api/v37")))
    return api, server


@pytest.mark.parametrize(
    ("extra", "requests"),
    [(0, 1), (LOCKS_PER_PAGE - 1, 2), (2 * LOCKS_PER_PAGE + 7, 3)],
)
async def test_every_page_of_locks_is_read(
    world: World, session: aiohttp.ClientSession, extra: int, requests: int
) -> None:
    """A page is a bare array without a total: read until one comes back short."""
    for i in range(extra):
        world.cloud.add_lock(
            ACCOUNT,
            device_id=50_000 + i,
            serial=f"20000000-{i:06d}",
            name=f"Lock {i}",
            type=2,
            device_public_point=world.lock.device_public_point,
        )
    api, server = await _sim_cloud(world, session)
    try:
        locks = await api.get_locks()
    finally:
        await server.close()
    assert len(locks) == extra + 1
    assert len({lock.id for lock in locks}) == extra + 1
    lock_requests = [r for r in world.cloud.request_log if r[1].endswith("/my/lock")]
    assert len(lock_requests) == requests


async def test_firmware_is_the_software_type_0_entry(serve: Serve) -> None:
    api = await serve(
        {
            "/my/lock": (
                200,
                {
                    "success": True,
                    "result": [
                        {
                            "id": 1,
                            "serialNumber": "10000000-000001",
                            "name": "Front door",
                            "type": 2,
                            "softwareVersions": [
                                {"softwareType": 1, "version": "1.0.9"},
                                {
                                    "softwareType": 0,
                                    "version": "2.5.30123",
                                    "updateAvailable": True,
                                },
                            ],
                        }
                    ],
                },
            )
        }
    )
    (lock,) = await api.get_locks()
    assert lock.firmware_version == "2.5.30123"
    assert lock.update_available is True


def _certificate(expiration: str, wrap: bool) -> dict[str, Any]:
    point = b"\x04" + bytes(range(64))
    text = base64.b64encode(point).decode()
    cert = base64.b64encode(bytes(range(170))).decode()
    if wrap:  # as the vendor's examples show it
        text, cert = (
            "\n".join(textwrap.wrap(text, 40)),
            "\r\n".join(textwrap.wrap(cert, 64)),
        )
    return {
        "success": True,
        "result": {
            "certificate": cert,
            "expirationDate": expiration,
            "devicePublicKey": text,
            "mobilePublicKey": text,
        },
    }


@pytest.mark.parametrize(
    ("expiration", "expected"),
    [
        ("2025-12-03T10:00:00.1234567", datetime(2025, 12, 3, 10, 0, 0, 123456, UTC)),
        ("2025-12-03T10:00:00Z", datetime(2025, 12, 3, 10, 0, 0, tzinfo=UTC)),
        ("2025-12-03T11:00:00+01:00", datetime(2025, 12, 3, 10, 0, 0, tzinfo=UTC)),
    ],
)
async def test_expiration_without_a_zone_is_utc(
    serve: Serve, expiration: str, expected: datetime
) -> None:
    api = await serve(
        {
            "/my/devicecertificate/getformobile": (
                200,
                _certificate(expiration, wrap=False),
            )
        }
    )
    cert = await api.get_certificate("m", 1)
    assert cert.expiration == expected
    assert cert.expiration.utcoffset() is not None


async def test_line_wrapped_base64_is_accepted(serve: Serve) -> None:
    api = await serve(
        {
            "/my/devicecertificate/getformobile": (
                200,
                _certificate("2025-12-03T10:00:00Z", wrap=True),
            )
        }
    )
    cert = await api.get_certificate("m", 1)
    assert "\n" in cert.device_public_key


async def test_an_error_body_without_result_names_the_problem(serve: Serve) -> None:
    api = await serve(
        {
            "/my/lock": (
                400,
                {
                    "success": False,
                    "errorMessages": ["ItemsPerPage must be at most 100"],
                    "statusCode": 400,
                },
            )
        }
    )
    with pytest.raises(CloudError, match="ItemsPerPage must be at most 100"):
        await api.get_locks()


async def test_the_simulated_cloud_sends_no_result_on_errors(
    world: World, session: aiohttp.ClientSession
) -> None:
    server = TestServer(make_app(world.cloud), host="127.0.0.1")
    await server.start_server()
    try:
        async with session.get(
            server.make_url("/api/v37/my/lock"),
            headers={"Authorization": "PersonalKey wrong"},
        ) as resp:
            body = await resp.json()
    finally:
        await server.close()
    assert resp.status == 401
    assert body == {
        "success": False,
        "errorMessages": ["Unauthorized"],
        "statusCode": 401,
    }


async def test_an_unreadable_retry_after_is_none(serve: Serve) -> None:
    from custom_components.tedee_bluetooth.tedee import CloudRateLimitError

    app = web.Application()

    async def limited(_r: web.Request) -> web.Response:
        return web.json_response(
            {"success": False, "errorMessages": [], "statusCode": 429},
            status=429,
            headers={"Retry-After": "soon"},
        )

    app.router.add_get("/api/v37/my/lock", limited)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            api = TedeeCloud(session, KEY, base_url=str(server.make_url("/api/v37")))
            with pytest.raises(CloudRateLimitError) as err:
                await api.get_locks()
    finally:
        await server.close()
    assert err.value.retry_after is None


@pytest.mark.parametrize(
    ("path", "result", "message"),
    [
        (
            "/my/devicecertificate/getformobile",
            {
                "certificate": "AAAA",
                "expirationDate": "2025-12-03T10:00:00Z",
                "devicePublicKey": "AAAA",
                "mobilePublicKey": "not base64!",
            },
            "malformed certificate",
        ),
        (
            "/datetime/getsignedtime",
            {"datetime": "%%%", "signature": "AAAA"},
            "malformed signed time",
        ),
        (
            "/datetime/getsignedtime",
            {"datetime": "AAAA", "signature": "AAAA"},
            "wrong field sizes",
        ),
    ],
)
async def test_malformed_fields_are_a_server_error(
    serve: Serve, path: str, result: dict[str, Any], message: str
) -> None:
    from custom_components.tedee_bluetooth.tedee import CloudServerError

    api = await serve({path: (200, {"success": True, "result": result})})
    with pytest.raises(CloudServerError, match=message):
        if "signed" in path:
            await api.get_signed_time()
        else:
            await api.get_certificate("m", 1)


def _result(result: Any) -> dict[str, Any]:
    return {"success": True, "result": result, "errorMessages": [], "statusCode": 200}


async def test_user_names_from_the_activity_list(serve: Serve) -> None:
    """Both spellings of the name; entries without a user or with junk are skipped."""
    api = await serve(
        {
            "/my/deviceactivity": (
                200,
                _result(
                    [
                        {"userId": 7, "username": "Anna (new name)", "event": 33},
                        {"userId": 7, "username": "Anna", "event": 32},
                        {"userId": 8, "userName": "Bob", "event": 32},
                        {"userId": None, "username": None, "event": 34},
                        {"userId": 9, "username": "", "event": 32},
                        {"userId": "10", "username": "Text id", "event": 32},
                        {"userId": True, "username": "Bool id", "event": 32},
                        "not an entry",
                    ]
                ),
            )
        }
    )
    # Newest first: the newest name of a user is the current one.
    assert await api.get_user_names(35800) == {7: "Anna (new name)", 8: "Bob"}


@pytest.mark.parametrize("body", [{"not": "a list"}, None, 17])
async def test_a_malformed_activity_list_is_an_error(serve: Serve, body: Any) -> None:
    api = await serve({"/my/deviceactivity": (200, _result(body))})
    with pytest.raises(CloudError, match="malformed activity list"):
        await api.get_user_names(35800)


async def test_activity_needs_its_own_scope(
    world: World, session: aiohttp.ClientSession
) -> None:
    """The simulated cloud refuses a key without DeviceActivity.Read: a scope error."""
    world.cloud.add_key(KEY, ACCOUNT, ALL_SCOPES - {SCOPE})
    api, server = await _sim_cloud(world, session)
    try:
        with pytest.raises(CloudScopeError):
            await api.get_user_names(world.lock.config.device_id)
        world.cloud.add_key(KEY, ACCOUNT)
        names = await api.get_user_names(world.lock.config.device_id)
        assert names == {1001: "Acct User"}  # the owner's unlock an hour ago
        with pytest.raises(CloudError):
            await api.get_user_names(424242)  # not a lock of this account
    finally:
        await server.close()


@pytest.mark.parametrize(
    ("properties", "door_sensor"),
    [
        ({"doorState": 0}, False),  # NotPaired
        ({"doorState": 3}, True),  # Closed
        ({"doorState": 1}, True),  # Disconnected: paired, not reachable
        ({"doorState": "3"}, None),  # not a number: not said
        ({}, None),
        (None, None),
    ],
)
async def test_the_door_sensor_from_the_lock_record(
    serve: Serve, properties: Any, door_sensor: bool | None
) -> None:
    item: dict[str, Any] = {
        "id": 1,
        "serialNumber": "10000000-000001",
        "name": "Front door",
        "type": 2,
    }
    if properties is not None:
        item["lockProperties"] = properties
    api = await serve({"/my/lock": (200, {"success": True, "result": [item]})})
    (lock,) = await api.get_locks()
    assert lock.has_door_sensor is door_sensor

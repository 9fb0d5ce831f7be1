"""Cloud client against the simulated cloud over real HTTP (aiohttp test server)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
from aiohttp.test_utils import TestServer
import pytest

from custom_components.tedee_bluetooth.tedee import (
    CloudAuthError,
    CloudError,
    CloudLock,
    CloudRateLimitError,
    CloudScopeError,
    CloudServerError,
    TedeeCloud,
)
from custom_components.tedee_bluetooth.tedee.wire.crypto import (
    generate_private_key,
    public_point,
    public_point_b64,
)
from simulator.ca import verify_certificate, verify_time
from simulator.cloud import RATE_LIMIT, make_app

from .world import ACCOUNT, KEY, World

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def base_url(world: World) -> AsyncIterator[str]:
    server = TestServer(make_app(world.cloud), host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/api/v37"))
    await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def cloud(
    session: aiohttp.ClientSession, base_url: str, key: str = KEY, timeout: float = 5
) -> TedeeCloud:
    return TedeeCloud(session, key, base_url=base_url, timeout=timeout)


async def test_pairing_calls(
    world: World, session: aiohttp.ClientSession, base_url: str
) -> None:
    api = cloud(session, base_url)
    (lock,) = await api.get_locks()
    assert lock.serial_number == world.lock.config.serial
    assert lock.id == world.lock.config.device_id
    assert lock.model == "Tedee GO"
    assert lock.firmware_version == "2.4.1234"
    key = generate_private_key()
    mobile_id = await api.register_mobile("Home Assistant", public_point_b64(key))
    cert = await api.get_certificate(mobile_id, lock.id)
    assert base64.b64decode(cert.device_public_key) == world.lock.device_public_point
    assert cert.mobile_public_key == public_point_b64(key)
    assert timedelta(days=9) < cert.expiration - datetime.now(UTC) <= timedelta(days=10)
    info = verify_certificate(
        world.cloud.ca.public_key, base64.b64decode(cert.certificate)
    )
    assert info.mobile_point == public_point(key)
    assert "certificate" not in repr(cert).lower().replace("devicecertificate", "")
    signed = await api.get_signed_time()
    assert verify_time(
        world.cloud.ca.public_key, signed.datetime_bytes, signed.signature
    )
    await api.delete_mobile(mobile_id)
    assert mobile_id not in world.cloud.accounts[ACCOUNT].mobiles
    await api.delete_mobile(mobile_id)  # already gone is fine
    assert KEY not in repr(api)


async def test_invalid_key(session: aiohttp.ClientSession, base_url: str) -> None:
    with pytest.raises(CloudAuthError):
        await cloud(session, base_url, key="wrong").get_locks()


@pytest.mark.parametrize(
    ("scopes", "call", "missing"),
    [
        ({"Mobile.ReadWrite", "DeviceCertificate.Operate"}, "get_locks", "Device.Read"),
        ({"Device.Read", "DeviceCertificate.Operate"}, "register", "Mobile.ReadWrite"),
        (
            {"Device.Read", "Mobile.ReadWrite"},
            "certificate",
            "DeviceCertificate.Operate",
        ),
    ],
)
async def test_missing_scope_is_named(
    world: World,
    session: aiohttp.ClientSession,
    base_url: str,
    scopes: set[str],
    call: str,
    missing: str,
) -> None:
    world.cloud.add_key("limited", ACCOUNT, frozenset(scopes))
    api = cloud(session, base_url, key="limited")
    with pytest.raises(CloudScopeError) as err:
        if call == "get_locks":
            await api.get_locks()
        elif call == "register":
            await api.register_mobile("x", public_point_b64(generate_private_key()))
        else:
            await api.get_certificate(world.mobile_id, world.lock.config.device_id)
    assert err.value.scope == missing
    assert missing in str(err.value)


async def test_rate_limit_700_per_hour(
    world: World, session: aiohttp.ClientSession, base_url: str
) -> None:
    now = world.cloud.clock()
    world.cloud.accounts[ACCOUNT].requests.extend([now - 3000] * (RATE_LIMIT - 1))
    api = cloud(session, base_url)
    await api.get_locks()  # the 700th request of the hour is still served
    with pytest.raises(CloudRateLimitError) as err:
        await api.get_locks()
    assert err.value.retry_after is not None
    assert 590 <= err.value.retry_after <= 601
    assert "retry in" in str(err.value)


@pytest.mark.parametrize(
    ("failure", "error", "text"),
    [
        ({"status": 500}, CloudServerError, "500"),
        ({"status": 503}, CloudServerError, "503"),
        ({"status": 429}, CloudRateLimitError, "later"),
        ({"status": 429, "retry_after": 30}, CloudRateLimitError, "30 s"),
        ({"status": 200, "malformed": True}, CloudServerError, "not JSON"),
        ({"status": 400}, CloudError, "refused"),
        ({"status": 200, "delay": 0.5}, CloudServerError, "timed out"),
    ],
)
async def test_failures_are_typed(
    world: World,
    session: aiohttp.ClientSession,
    base_url: str,
    failure: dict[str, object],
    error: type,
    text: str,
) -> None:
    world.cloud.fail_next(**failure)  # type: ignore[arg-type]
    with pytest.raises(error, match=text):
        await cloud(session, base_url, timeout=0.2).get_locks()


async def test_unreachable_cloud(session: aiohttp.ClientSession) -> None:
    with pytest.raises(CloudServerError, match="cannot reach"):
        await cloud(session, "http://127.0.0.1:9/api/v37").get_locks()


@pytest.mark.parametrize(
    "body",
    [
        {"result": {"not": "a list"}, "success": True},
        {"result": [{"id": "x"}], "success": True},
        ["not", "an", "envelope"],
    ],
)
async def test_malformed_bodies(session: aiohttp.ClientSession, body: object) -> None:
    from aiohttp import web

    async def handler(_request: web.Request) -> web.Response:
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/api/v37/my/lock", handler)
    app.router.add_get("/api/v37/datetime/getsignedtime", handler)
    app.router.add_get("/api/v37/my/devicecertificate/getformobile", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    api = cloud(session, str(server.make_url("/api/v37")))
    try:
        with pytest.raises(CloudServerError):
            await api.get_locks()
        with pytest.raises(CloudServerError):
            await api.get_signed_time()
        with pytest.raises(CloudServerError):
            await api.get_certificate("m", 1)
    finally:
        await server.close()


async def test_certificate_for_unknown_lock(
    world: World, session: aiohttp.ClientSession, base_url: str
) -> None:
    with pytest.raises(CloudError, match="not found"):
        await cloud(session, base_url).get_certificate(world.mobile_id, 999)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"pullSpringEnabled": True}, True),
        ({"pullSpringEnabled": False}, False),
        ({}, None),
        ({"pullSpringEnabled": "yes"}, None),
    ],
)
def test_pull_spring_setting_is_read_only_when_the_cloud_says(
    settings: dict[str, object], expected: bool | None
) -> None:
    lock = CloudLock(1, "10000000-000001", "Door", 4, device_settings=settings)
    assert lock.pull_spring_enabled is expected

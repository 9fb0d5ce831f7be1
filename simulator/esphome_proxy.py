"""A simulated ESPHome Bluetooth proxy, on ESPHome's native API over TCP.

To Home Assistant it is an ESPHome device: its real ``esphome`` integration
connects with ``aioesphomeapi``, and ``bleak-esphome`` reaches the simulated locks
through it, with the proxy's connection slots, its MTU and its error codes. The
messages are the classes ``aioesphomeapi`` ships (``api_pb2``, the real schema);
the server logic is ours. Plaintext frames only: preamble 0x00, varint length,
varint message type, protobuf. Development and tests only; never shipped.

Behind the radio it uses the same link model as every other test path
(``SimulatedConnection``: latency, loss, reordering, drops, the lock's own limit
of three connections), so every lock fault is reachable through a proxy too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import logging
from typing import Any
import uuid as uuid_mod

from aioesphomeapi import api_pb2
from aioesphomeapi.core import MESSAGE_TYPE_TO_PROTO
from bleak.exc import BleakError

from .link import SimulatedConnection
from .lock import SimulatedLock
from .wire import API, LOCK_SERVICE, NOTIFICATIONS, PTLS_RX, PTLS_TX

_LOGGER = logging.getLogger(__name__)

# Generated without type information: the messages are built by name.
pb: Any = api_pb2
Message = Any  # one of api_pb2's protobuf messages

_TYPE_OF: dict[type[Message], int] = {
    cls: number for number, cls in MESSAGE_TYPE_TO_PROTO.items()
}

# Feature flags of a proxy with active connections (ESPHome's bluetooth_proxy).
PASSIVE_SCAN, ACTIVE_CONNECTIONS, REMOTE_CACHING, RAW_ADVERTISEMENTS = 1, 2, 4, 32
FEATURES = PASSIVE_SCAN | ACTIVE_CONNECTIONS | REMOTE_CACHING | RAW_ADVERTISEMENTS
SUBSCRIBE_RAW = 1  # SubscribeBluetoothLEAdvertisementsRequest.flags

# BluetoothDeviceRequest.request_type
CONNECT, DISCONNECT, PAIR, UNPAIR = 0, 1, 2, 3
CONNECT_V3_WITH_CACHE, CONNECT_V3_WITHOUT_CACHE, CLEAR_CACHE = 4, 5, 6

# Disconnect reasons and GATT errors as an ESP32 reports them.
CONN_TIMEOUT = 0x08  # supervision timeout: the lock went away
TERMINATED_BY_PEER = 0x13
FAIL_ESTABLISH = 0x3E  # the lock did not answer (out of range, refused)
NO_FREE_SLOT = 0x101  # ESPHome answers a connect with no free slot with "none"
GATT_READ_NOT_PERMITTED = 0x02
GATT_WRITE_NOT_PERMITTED = 0x03
GATT_INVALID_HANDLE = 0x01
GATT_ERROR = 0x85

CCCD = "00002902-0000-1000-8000-00805f9b34fb"
_NOTIFY, _INDICATE, _WRITE_NR, _WRITE = 0x10, 0x20, 0x04, 0x08


@dataclass(frozen=True)
class _Char:
    uuid: str
    handle: int
    properties: int
    cccd: int | None


# The lock's GATT table: the service at 0x0010, each value handle after its
# declaration, a CCCD after each characteristic that notifies or indicates.
SERVICE_HANDLE = 0x0010
CHARACTERISTICS = (
    _Char(NOTIFICATIONS, 0x0012, _NOTIFY, 0x0013),
    _Char(PTLS_TX, 0x0015, _NOTIFY, 0x0016),
    _Char(PTLS_RX, 0x0018, _WRITE | _WRITE_NR, None),
    _Char(API, 0x001A, _WRITE | _INDICATE, 0x001B),
)
_BY_HANDLE = {c.handle: c for c in CHARACTERISTICS}
_BY_CCCD = {c.cccd: c for c in CHARACTERISTICS if c.cccd is not None}


def mac_to_int(mac: str) -> int:
    """``AA:BB:CC:DD:EE:FF`` as the 48-bit integer the API carries."""
    return int(mac.replace(":", ""), 16)


def int_to_mac(value: int) -> str:
    """The API's 48-bit address as ``AA:BB:CC:DD:EE:FF``."""
    return ":".join(f"{(value >> s) & 0xFF:02X}" for s in range(40, -8, -8))


def lock_address(lock: SimulatedLock) -> str:
    """A stable MAC address for a simulated lock (the same on every proxy)."""
    device_id = lock.config.device_id
    return "D0:7E:DE:" + ":".join(f"{(device_id >> s) & 0xFF:02X}" for s in (16, 8, 0))


def _uuid_words(text: str) -> list[int]:
    value = uuid_mod.UUID(text).int
    return [value >> 64, value & 0xFFFFFFFFFFFFFFFF]


def _ad(kind: int, data: bytes) -> bytes:
    return bytes([len(data) + 1, kind]) + data


def _uuid128(text: str) -> bytes:
    return uuid_mod.UUID(text).bytes[::-1]  # little-endian on air


def advertisement(lock: SimulatedLock) -> tuple[bytes, bytes]:
    """The lock's advertisement and scan response, as raw AD structures.

    PROTOCOL.md section 1: the serial-number service is advertised; the lock
    service and the local name come in the scan response.
    """
    adv = _ad(0x01, b"\x06") + _ad(0x07, _uuid128(lock.config.serial_service_uuid))
    scan = _ad(0x07, _uuid128(LOCK_SERVICE)) + _ad(
        0x09, lock.config.local_name.encode()
    )
    return adv, scan


@dataclass
class ProxyConfig:
    """Who the proxy is and what its radio can do."""

    name: str = "bt-proxy-1"
    mac: str = "A0:B7:65:00:00:01"
    slots: int = 3
    mtu: int = 247
    advertise_every: float = 2.0  # seconds between each lock's advertisements
    esphome_version: str = "2025.12.0"
    api_version: tuple[int, int] = (1, 10)


@dataclass
class ProxyStats:
    """What a test or the benchmark reads off a proxy."""

    connects: int = 0  # BLE connect requests
    refused_no_slot: int = 0
    refused_by_lock: int = 0
    api_sessions: int = 0  # native API (TCP) connections accepted


@dataclass
class _BleLink:
    """One BLE connection this proxy holds, for one API client."""

    address: int
    lock: SimulatedLock
    conn: SimulatedConnection
    api: _ApiConnection
    registered: set[int] = field(default_factory=set)  # NotifyRequest handles


class EsphomeProxy:
    """An ESPHome Bluetooth proxy with locks in range."""

    def __init__(self, config: ProxyConfig | None = None) -> None:
        """Not listening until ``start``."""
        self.config = config or ProxyConfig()
        self.stats = ProxyStats()
        self.rssi: dict[int, tuple[SimulatedLock, int]] = {}  # address -> lock, RSSI
        self.links: dict[int, _BleLink] = {}
        self.port = 0
        self._server: asyncio.Server | None = None
        self._clients: set[_ApiConnection] = set()
        self._advertiser: asyncio.TimerHandle | None = None

    # -- the world ----------------------------------------------------------------------

    def hear(self, lock: SimulatedLock, rssi: int = -60) -> None:
        """Put a lock in this proxy's range, at this signal strength."""
        self.rssi[mac_to_int(lock_address(lock))] = (lock, rssi)

    def lose(self, lock: SimulatedLock) -> None:
        """The lock leaves this proxy's range; a link to it times out."""
        address = mac_to_int(lock_address(lock))
        self.rssi.pop(address, None)
        if (link := self.links.get(address)) is not None:
            link.conn.drop("out of the proxy's range")

    @property
    def listening(self) -> bool:
        """Powered on: the API port is open."""
        return self._server is not None

    @property
    def free(self) -> int:
        """Connection slots free right now."""
        return max(0, self.config.slots - len(self.links))

    def set_slots(self, slots: int) -> None:
        """Change the slot limit (another client took some, or freed them)."""
        self.config.slots = slots
        self._announce_free()

    # -- the server ---------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int | None = None) -> int:
        """Listen (on the same port as before after a restart); the port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _ApiConnection(self), host, self.port if port is None else port
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._schedule_advertising()
        return self.port

    async def stop(self) -> None:
        """Power off: every API connection and every BLE link goes down."""
        if self._advertiser is not None:
            self._advertiser.cancel()
            self._advertiser = None
        for link in list(self.links.values()):
            link.conn.drop("proxy powered off")
        for client in list(self._clients):
            client.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _schedule_advertising(self) -> None:
        loop = asyncio.get_running_loop()
        self._advertiser = loop.call_later(self.config.advertise_every, self._advertise)

    def _advertise(self) -> None:
        self.advertise_now()
        self._schedule_advertising()

    def advertise_now(self) -> None:
        """One round of advertisements from every lock in range, to subscribers."""
        adverts = []
        for address, (lock, rssi) in self.rssi.items():
            if not lock.in_range:
                continue
            for data in advertisement(lock):
                adverts.append(
                    pb.BluetoothLERawAdvertisement(
                        address=address, rssi=rssi, address_type=0, data=data
                    )
                )
        if not adverts:
            return
        message = pb.BluetoothLERawAdvertisementsResponse(advertisements=adverts)
        for client in self._clients:
            if client.advertisements:
                client.send(message)

    def _announce_free(self) -> None:
        for client in self._clients:
            if client.connections_free:
                client.send(self._free_message())

    def _free_message(self) -> Message:
        return pb.BluetoothConnectionsFreeResponse(
            free=self.free, limit=self.config.slots, allocated=list(self.links)
        )

    # -- Bluetooth requests -------------------------------------------------------------

    async def connect(self, client: _ApiConnection, address: int) -> None:
        """A BluetoothDeviceRequest to connect: answer as the ESP32 would."""
        self.stats.connects += 1
        if address in self.links:  # already connected: report it again
            link = self.links[address]
            client.send(self._connected(address, link.conn.mtu_size))
            return
        if self.free == 0:
            self.stats.refused_no_slot += 1
            client.send(self._disconnected(address, NO_FREE_SLOT))
            return
        heard = self.rssi.get(address)
        if heard is None:
            self.stats.refused_by_lock += 1
            client.send(self._disconnected(address, FAIL_ESTABLISH))
            return
        lock = heard[0]
        conn = lock.connect(
            att_mtu=self.config.mtu,
            disconnected_callback=lambda _c: self._lost(address, conn),
        )
        link = _BleLink(address, lock, conn, client)
        self.links[address] = link  # the slot is taken while connecting
        try:
            await conn.connect()
        except BleakError as err:
            _LOGGER.debug(
                "%s: connect to %s failed: %s", self.config.name, address, err
            )
            self.links.pop(address, None)
            self.stats.refused_by_lock += 1
            client.send(self._disconnected(address, FAIL_ESTABLISH))
            self._announce_free()
            return
        client.send(self._connected(address, conn.mtu_size))
        self._announce_free()

    def disconnect(self, client: _ApiConnection, address: int) -> None:
        """A BluetoothDeviceRequest to disconnect."""
        link = self.links.get(address)
        if link is None:
            client.send(self._disconnected(address, 0))
            return
        link.conn.drop("disconnect requested")

    def _lost(self, address: int, conn: SimulatedConnection) -> None:
        """The link went down, from either side: the slot is free again."""
        link = self.links.get(address)
        if link is None or link.conn is not conn:
            return
        del self.links[address]
        # A lock that went away times out; one that closed the link says so.
        heard = address in self.rssi and link.lock.in_range
        reason = TERMINATED_BY_PEER if heard else CONN_TIMEOUT
        link.api.send(self._disconnected(address, reason))
        self._announce_free()

    def client_gone(self, client: _ApiConnection) -> None:
        """Home Assistant's API connection closed: its BLE links go too."""
        self._clients.discard(client)
        for link in list(self.links.values()):
            if link.api is client:
                link.conn.drop("API client disconnected")

    @staticmethod
    def _connected(address: int, mtu: int) -> Message:
        return pb.BluetoothDeviceConnectionResponse(
            address=address, connected=True, mtu=mtu, error=0
        )

    @staticmethod
    def _disconnected(address: int, error: int) -> Message:
        return pb.BluetoothDeviceConnectionResponse(
            address=address, connected=False, mtu=0, error=error
        )

    def services(self, address: int) -> list[Message]:
        """The lock's GATT table, then the done marker."""
        if address not in self.links:
            return [pb.BluetoothGATTErrorResponse(address=address, error=GATT_ERROR)]
        chars = [
            pb.BluetoothGATTCharacteristic(
                uuid=_uuid_words(c.uuid),
                handle=c.handle,
                properties=c.properties,
                descriptors=(
                    [pb.BluetoothGATTDescriptor(uuid=_uuid_words(CCCD), handle=c.cccd)]
                    if c.cccd is not None
                    else []
                ),
            )
            for c in CHARACTERISTICS
        ]
        service = pb.BluetoothGATTService(
            uuid=_uuid_words(LOCK_SERVICE), handle=SERVICE_HANDLE, characteristics=chars
        )
        return [
            pb.BluetoothGATTGetServicesResponse(address=address, services=[service]),
            pb.BluetoothGATTGetServicesDoneResponse(address=address),
        ]

    async def write(
        self, address: int, handle: int, data: bytes, response: bool
    ) -> Message | None:
        """A characteristic write; the answer to send, if any."""
        link = self.links.get(address)
        char = _BY_HANDLE.get(handle)
        if link is None or char is None:
            return pb.BluetoothGATTErrorResponse(
                address=address, handle=handle, error=GATT_INVALID_HANDLE
            )
        if not char.properties & (_WRITE | _WRITE_NR):
            return pb.BluetoothGATTErrorResponse(
                address=address, handle=handle, error=GATT_WRITE_NOT_PERMITTED
            )
        try:
            await link.conn.write_gatt_char(char.uuid, data, response)
        except BleakError as err:
            _LOGGER.debug("%s: write failed: %s", self.config.name, err)
            return pb.BluetoothGATTErrorResponse(
                address=address, handle=handle, error=GATT_ERROR
            )
        if response:
            return pb.BluetoothGATTWriteResponse(address=address, handle=handle)
        return None

    async def write_descriptor(self, address: int, handle: int, data: bytes) -> Message:
        """A CCCD write: the lock starts (or stops) sending on that characteristic."""
        link = self.links.get(address)
        char = _BY_CCCD.get(handle)
        if link is None or char is None:
            return pb.BluetoothGATTErrorResponse(
                address=address, handle=handle, error=GATT_INVALID_HANDLE
            )
        if data[:1] in (b"\x01", b"\x02"):
            await link.conn.start_notify(char.uuid, self._forwarder(link, char.handle))
        else:
            await link.conn.stop_notify(char.uuid)
        return pb.BluetoothGATTWriteResponse(address=address, handle=handle)

    @staticmethod
    def _forwarder(link: _BleLink, handle: int) -> Callable[[Any, bytearray], None]:
        """Pass the lock's frames on to Home Assistant, once it registered the handle."""

        def _forward(_sender: Any, value: bytearray) -> None:
            if handle in link.registered:
                link.api.send(
                    pb.BluetoothGATTNotifyDataResponse(
                        address=link.address, handle=handle, data=bytes(value)
                    )
                )

        return _forward

    def notify(self, address: int, handle: int, enable: bool) -> Message:
        """A NotifyRequest: register the handle with the ESP32's GATT client."""
        link = self.links.get(address)
        if link is None or handle not in _BY_HANDLE or _BY_HANDLE[handle].cccd is None:
            return pb.BluetoothGATTErrorResponse(
                address=address, handle=handle, error=GATT_INVALID_HANDLE
            )
        if enable:
            link.registered.add(handle)
        else:
            link.registered.discard(handle)
        return pb.BluetoothGATTNotifyResponse(address=address, handle=handle)


class _ApiConnection(asyncio.Protocol):
    """One native-API client (Home Assistant) on the proxy's TCP port."""

    def __init__(self, proxy: EsphomeProxy) -> None:
        self.proxy = proxy
        self.advertisements = False
        self.connections_free = False
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- transport ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self.proxy._clients.add(self)
        self.proxy.stats.api_sessions += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        for task in self._tasks:
            task.cancel()
        self.proxy.client_gone(self)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def send(self, message: Message) -> None:
        """One plaintext frame."""
        if self._transport is None or self._transport.is_closing():
            return
        payload = message.SerializeToString()
        self._transport.write(
            b"\x00" + _varint(len(payload)) + _varint(_TYPE_OF[type(message)]) + payload
        )

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            frame = _take_frame(self._buffer)
            if frame is None:
                return
            if frame is _BAD:
                _LOGGER.debug("%s: bad frame; closing", self.proxy.config.name)
                self.close()
                return
            msg_type, payload = frame
            cls = MESSAGE_TYPE_TO_PROTO.get(msg_type)
            if cls is None:
                _LOGGER.debug("unknown message type %d", msg_type)
                continue
            message = cls()
            message.ParseFromString(payload)
            self._handle(message)

    def _spawn(self, work: Callable[[], Any]) -> None:
        task = asyncio.get_running_loop().create_task(work())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- messages -----------------------------------------------------------------------

    def _handle(self, message: Message) -> None:
        """Answer one message, by its schema name (stable across API versions)."""
        name = message.DESCRIPTOR.name
        handler = getattr(self, f"_on_{name}", None)
        if handler is None:
            # States, services, logs, Home Assistant states: nothing to send.
            _LOGGER.debug("%s: %s ignored", self.proxy.config.name, name)
            return
        handler(message)

    def _on_HelloRequest(self, message: Any) -> None:
        config = self.proxy.config
        major, minor = config.api_version
        self.send(
            pb.HelloResponse(
                api_version_major=major,
                api_version_minor=minor,
                server_info=f"{config.name} (ESPHome {config.esphome_version})",
                name=config.name,
            )
        )

    def _on_ConnectRequest(self, message: Any) -> None:
        """The password check (renamed AuthenticationRequest in later releases)."""
        answer = getattr(pb, "ConnectResponse", None) or pb.AuthenticationResponse
        self.send(answer(invalid_password=False))

    _on_AuthenticationRequest = _on_ConnectRequest

    def _on_DeviceInfoRequest(self, message: Any) -> None:
        self.send(self._device_info())

    def _on_ListEntitiesRequest(self, message: Any) -> None:
        self.send(pb.ListEntitiesDoneResponse())

    def _on_PingRequest(self, message: Any) -> None:
        self.send(pb.PingResponse())

    def _on_DisconnectRequest(self, message: Any) -> None:
        self.send(pb.DisconnectResponse())
        self.close()

    def _on_SubscribeBluetoothLEAdvertisementsRequest(self, message: Any) -> None:
        self.advertisements = bool(message.flags & SUBSCRIBE_RAW)
        if self.advertisements:
            self.proxy.advertise_now()

    def _on_UnsubscribeBluetoothLEAdvertisementsRequest(self, message: Any) -> None:
        self.advertisements = False

    def _on_SubscribeBluetoothConnectionsFreeRequest(self, message: Any) -> None:
        self.connections_free = True
        self.send(self.proxy._free_message())

    def _on_BluetoothDeviceRequest(self, message: Any) -> None:
        self._device_request(message)

    def _on_BluetoothGATTGetServicesRequest(self, message: Any) -> None:
        for reply in self.proxy.services(message.address):
            self.send(reply)

    def _on_BluetoothGATTReadRequest(self, message: Any) -> None:
        self.send(
            pb.BluetoothGATTErrorResponse(
                address=message.address,
                handle=message.handle,
                error=GATT_READ_NOT_PERMITTED,
            )
        )

    def _on_BluetoothGATTWriteRequest(self, message: Any) -> None:
        async def _write() -> None:
            reply = await self.proxy.write(
                message.address, message.handle, bytes(message.data), message.response
            )
            if reply is not None:
                self.send(reply)

        self._spawn(_write)

    def _on_BluetoothGATTWriteDescriptorRequest(self, message: Any) -> None:
        async def _write_descriptor() -> None:
            self.send(
                await self.proxy.write_descriptor(
                    message.address, message.handle, bytes(message.data)
                )
            )

        self._spawn(_write_descriptor)

    def _on_BluetoothGATTNotifyRequest(self, message: Any) -> None:
        self.send(self.proxy.notify(message.address, message.handle, message.enable))

    def _device_request(self, message: Any) -> None:
        proxy, address = self.proxy, message.address
        kind = message.request_type
        if kind in (CONNECT, CONNECT_V3_WITH_CACHE, CONNECT_V3_WITHOUT_CACHE):
            self._spawn(lambda: proxy.connect(self, address))
        elif kind == DISCONNECT:
            proxy.disconnect(self, address)
        elif kind == CLEAR_CACHE:
            self.send(
                pb.BluetoothDeviceClearCacheResponse(
                    address=address, success=True, error=0
                )
            )
        elif kind == PAIR:  # Tedee locks do not bond
            self.send(
                pb.BluetoothDevicePairingResponse(
                    address=address, paired=False, error=GATT_ERROR
                )
            )
        elif kind == UNPAIR:
            self.send(
                pb.BluetoothDeviceUnpairingResponse(
                    address=address, success=True, error=0
                )
            )

    def _device_info(self) -> Message:
        config = self.proxy.config
        return pb.DeviceInfoResponse(
            uses_password=False,
            name=config.name,
            friendly_name=config.name.replace("bt-proxy-", "Bluetooth proxy "),
            mac_address=config.mac,
            bluetooth_mac_address=config.mac,
            esphome_version=config.esphome_version,
            compilation_time="Dec  1 2026, 12:00:00",
            model="esp32-poe-iso",
            manufacturer="Espressif",
            has_deep_sleep=False,
            bluetooth_proxy_feature_flags=FEATURES,
        )


_BAD = (-1, b"")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(buffer: bytearray, pos: int) -> tuple[int, int] | None:
    value = shift = 0
    while pos < len(buffer):
        byte = buffer[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 35:
            return -1, pos
    return None


def _take_frame(buffer: bytearray) -> tuple[int, bytes] | None:
    """The next whole frame, removed from ``buffer``; None if incomplete."""
    if not buffer:
        return None
    if buffer[0] != 0x00:
        return _BAD
    length = _read_varint(buffer, 1)
    if length is None:
        return None
    size, pos = length
    kind = _read_varint(buffer, pos)
    if kind is None:
        return None
    msg_type, pos = kind
    if size < 0 or msg_type < 0:
        return _BAD
    if len(buffer) < pos + size:
        return None
    payload = bytes(buffer[pos : pos + size])
    del buffer[: pos + size]
    return msg_type, payload

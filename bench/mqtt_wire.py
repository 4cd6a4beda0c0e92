"""The few MQTT 3.1.1 packets a load publisher needs, encoded by hand.

The benchmark's publishers send pre-encoded PUBLISH packets straight to a socket instead of
going through paho: on a 2-core machine every cycle a publisher spends is a cycle the ingest
under test does not get, and paho costs several times more per message than a socket write.
"""

from __future__ import annotations

import socket
import struct

PUBACK_LENGTH = 4
PUBACK_FIRST_BYTE = 0x40
MAX_PACKET_ID = 0xFFFF


def _remaining_length(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | 0x80 if length else byte)
        if not length:
            return bytes(out)


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def connect_packet(client_id: str, *, clean_session: bool = True, keepalive_s: int = 0) -> bytes:
    """Encode CONNECT (protocol level 4, no credentials, no will)."""
    flags = 0x02 if clean_session else 0x00
    body = _string("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive_s) + _string(client_id)
    return bytes([0x10]) + _remaining_length(len(body)) + body


def publish_packet(topic: str, payload: bytes, *, packet_id: int, retain: bool = False) -> bytes:
    """Encode PUBLISH at QoS 1."""
    body = _string(topic) + struct.pack("!H", packet_id) + payload
    first = 0x32 | (0x01 if retain else 0x00)
    return bytes([first]) + _remaining_length(len(body)) + body


def packet_id_for(sequence: int) -> int:
    """Packet id of the n-th publish on one connection (ids cycle 1..65535, never 0)."""
    return sequence % MAX_PACKET_ID + 1


DISCONNECT = bytes([0xE0, 0x00])


def open_session(host: str, port: int, client_id: str, *, timeout_s: float = 10.0) -> socket.socket:
    """Connect, send CONNECT and wait for a successful CONNACK."""
    sock = socket.create_connection((host, port), timeout=timeout_s)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(connect_packet(client_id))
    connack = b""
    while len(connack) < 4:
        chunk = sock.recv(4 - len(connack))
        if not chunk:
            raise ConnectionError(f"broker closed the connection before CONNACK for {client_id}")
        connack += chunk
    if connack[0] != 0x20 or connack[3] != 0:
        raise ConnectionError(f"broker refused {client_id}: CONNACK {connack.hex()}")
    return sock

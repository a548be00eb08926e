"""A small authoritative DNS server on a loopback port, for the tests of verified domains:
the portal's resolver (dnspython) asks it over real UDP, as it would ask any DNS server.

`dns_zone` starts one per test, points ORGPORTAL_DNS_RESOLVERS at it, and stops it after."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class Zone(BaseResolver):
    """TXT records by name; every other name answers NXDOMAIN."""

    def __init__(self) -> None:
        self._txt: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self.questions: list[str] = []

    def add_txt(self, name: str, value: str) -> None:
        with self._lock:
            self._txt.setdefault(name.rstrip(".").lower(), []).append(value)

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        with self._lock:
            self.questions.append(name)
            values = list(self._txt.get(name, ()))
        if not values:
            reply.header.rcode = RCODE.NXDOMAIN
        elif request.q.qtype == QTYPE.TXT:
            for value in values:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(value), ttl=60))
        return reply


class RunningZone:
    def __init__(self, zone: Zone, port: int) -> None:
        self.zone, self.port = zone, port

    def add_txt(self, name: str, value: str) -> None:
        self.zone.add_txt(name, value)

    @property
    def questions(self) -> list[str]:
        return self.zone.questions


@pytest.fixture
def dns_zone(settings) -> Iterator[RunningZone]:
    zone = Zone()
    quiet = DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)
    server = DNSServer(zone, port=0, address="127.0.0.1", logger=quiet)
    server.start_thread()
    port = server.server.server_address[1]
    settings.ORGPORTAL_DNS_RESOLVERS = [f"127.0.0.1:{port}"]
    settings.ORGPORTAL_DNS_TIMEOUT = 2.0
    try:
        yield RunningZone(zone, port)
    finally:
        server.stop()
        server.server.server_close()

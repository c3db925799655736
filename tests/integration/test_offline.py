"""Proves that loading the model, ingesting and drafting never try the network."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO_ENGLISH

LOOPBACK = ("127.", "::1", "localhost")


@pytest.fixture
def outbound_blocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Any non-loopback connect or DNS lookup is recorded and refused."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family == socket.AF_UNIX or str(host).startswith(LOOPBACK):
            return real_connect(self, address)
        attempts.append(address)
        raise OSError(f"network access blocked in tests: {address}")

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is None or str(host).startswith(LOOPBACK):
            return real_getaddrinfo(host, *args, **kwargs)
        attempts.append(host)
        raise socket.gaierror(f"DNS blocked in tests: {host}")

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield attempts


@pytest.mark.slow
def test_ingest_and_ask_work_with_the_network_blocked(
    outbound_blocked: list[Any], tmp_path: Path
) -> None:
    from bot.drafting.interface import DraftRequest
    from bot.services import build_services
    from bot.settings import Settings
    from ingest.pipeline import ingest_paths

    # A fresh model load inside the guard: the bundled files must be enough.
    services = build_services(Settings(data_dir=tmp_path))
    report = ingest_paths(
        [DEMO_ENGLISH], session_factory=services.session_factory, index=services.index,
        embedder=services.embedder,
    )
    assert report.embedded > 0
    assert services.pipeline is not None
    services.pipeline.retriever.refresh()
    reply = services.drafter.draft(DraftRequest(buyer_messages=["where is my parcel?"]))
    services.close()
    assert reply.text
    assert outbound_blocked == []


def test_the_guard_really_blocks(outbound_blocked: list[Any]) -> None:
    with pytest.raises(OSError), socket.create_connection(("192.0.2.1", 80), timeout=1):
        pass
    assert outbound_blocked

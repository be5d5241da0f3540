"""No network in a test: every socket connection (and name lookup) fails loudly."""

from __future__ import annotations

import socket

import pytest


def refuse_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to reach the network fail the test, naming what was tried."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a socket was opened: {args[1:] or kwargs}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)

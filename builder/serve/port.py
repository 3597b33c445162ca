"""Check that the service can listen where it is asked to, before anything loads or says ready.

gunicorn finds a taken port only once the model is loaded, then retries for five seconds in its own
log format and exits 1. A probe socket bound the way gunicorn binds (``SO_REUSEADDR``, and
``SO_REUSEPORT`` when ``reuse_port`` is set) tells at once, and ``PortUnavailable`` says what to do.
"""

from __future__ import annotations

import errno
import socket

from ..errors import PortUnavailable

NEXT_PORTS = 20  # how far above a taken port to look for a free one to suggest


def check_addresses(addresses: list[str], reuse_port: bool = False) -> None:
    """Raise ``PortUnavailable`` unless every ``host:port`` in gunicorn's ``bind`` list can be bound
    (``unix:`` and ``fd://`` addresses are left to gunicorn)."""
    for address in addresses:
        host_port = split_address(address)
        if host_port is None:
            continue
        host, port = host_port
        try:
            _probe(host, port, reuse_port)
        except OSError as exc:
            raise _explain(host, port, exc, reuse_port) from None


def split_address(address: str) -> tuple[str, int] | None:
    """``("127.0.0.1", 8080)`` for ``127.0.0.1:8080``, ``("::1", 8080)`` for ``[::1]:8080``; None for
    ``unix:``/``fd://`` addresses and anything without a port number."""
    if address.startswith(("unix:", "fd://")):
        return None
    host, _, port = address.rpartition(":")
    if not port.isdigit():
        return None
    return host.strip("[]") or "0.0.0.0", int(port)


def _probe(host: str, port: int, reuse_port: bool) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port and hasattr(socket, "SO_REUSEPORT"):
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        probe.bind((host, port))


def _explain(host: str, port: int, exc: OSError, reuse_port: bool) -> PortUnavailable:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        free = _free_port_above(host, port, reuse_port)
        suggestion = f"--port {free} (or PORT={free})" if free else "--port N (or PORT=N)"
        return PortUnavailable(f"cannot serve on {where}: the port is already in use by another process; "
                               "nothing was started",
                               hint=f"stop that process (`ss -ltnp 'sport = :{port}'` names it), or serve on "
                                    f"another port: {suggestion}")
    if exc.errno == errno.EACCES:
        return PortUnavailable(f"cannot serve on {where}: permission denied (ports below 1024 need privileges); "
                               "nothing was started", hint="serve on a port above 1023, e.g. --port 8080")
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return PortUnavailable(f"cannot serve on {where}: {host} is not an address of this machine; nothing was "
                               "started", hint="use --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every "
                                               "interface), or NB2SERVICE_HOST")
    return PortUnavailable(f"cannot serve on {where}: {exc.strerror or exc}; nothing was started")


def _free_port_above(host: str, port: int, reuse_port: bool) -> int | None:
    for candidate in range(port + 1, min(port + NEXT_PORTS, 65535) + 1):
        try:
            _probe(host, candidate, reuse_port)
        except OSError:
            continue
        return candidate
    return None

"""The address is checked before anything loads or says ready (the real CLI: tests/test_cli.py)."""

from __future__ import annotations

import socket

import pytest

from builder.config import ServeSettings
from builder.errors import PortUnavailable
from builder.serve.launch import check_address
from builder.serve.port import check_addresses, split_address


def test_gunicorn_addresses_are_split_and_sockets_it_owns_are_left_to_it():
    assert split_address("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert split_address("[::1]:9000") == ("::1", 9000)
    assert split_address(":8080") == ("0.0.0.0", 8080)
    assert split_address("unix:/run/app.sock") is None and split_address("fd://3") is None


def test_a_taken_port_names_itself_and_a_free_port_nearby():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortUnavailable) as err:
            check_addresses([f"127.0.0.1:{port}"])
    assert err.value.exit_code == 10
    assert str(err.value).startswith(f"cannot serve on 127.0.0.1:{port}: the port is already in use")
    assert f"ss -ltnp 'sport = :{port}'" in err.value.hint and "--port " in err.value.hint


def test_a_bind_in_gunicorn_cmd_args_is_the_address_checked():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        check_address(ServeSettings(port=port, gunicorn_cmd_args="--bind 127.0.0.1:0"), frozenset())  # not ours
        with pytest.raises(PortUnavailable):
            check_address(ServeSettings(port=0, gunicorn_cmd_args=f"--bind 127.0.0.1:{port}"), frozenset())


def test_a_host_that_is_not_this_machine_is_named():
    with pytest.raises(PortUnavailable, match="192.0.2.1 is not an address of this machine"):
        check_addresses(["192.0.2.1:8080"])

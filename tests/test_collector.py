"""collector_paused: the cyclic garbage collector off while a command builds its many
long-lived objects (issue 16), and back as it was after, whatever happens in the block."""

from __future__ import annotations

import gc

import pytest

from esps_cli.io.collector import collector_paused


def test_paused_in_the_block_and_back_on_after_even_on_an_error() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError), collector_paused():
        raise KeyError("x")
    assert gc.isenabled()


def test_a_nested_pause_does_not_turn_it_back_on_early() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_left_off_when_it_was_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

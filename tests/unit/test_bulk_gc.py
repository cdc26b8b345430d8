"""gc_paused: the collector is off inside, back on after the last user leaves, and left alone if it
was off before."""

from __future__ import annotations

import gc
import threading

import pytest

from rexbit_desktop.services.bulk import gc_paused


def test_nested_and_concurrent_users_share_one_pause() -> None:
    assert gc.isenabled()
    inside = threading.Event()
    leave = threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
        thread.start()
        inside.wait(5)
    assert not gc.isenabled(), "the other thread is still inside"
    leave.set()
    thread.join(5)
    assert gc.isenabled()


def test_an_error_inside_brings_the_collector_back() -> None:
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

"""Recurring background work.

Each recurring task keeps itself going by queueing its next run when it finishes. A chain
breaks when its worker dies mid-run (the run never finishes, so it never queues the next).
Apps therefore register here how to make sure their chain is queued, and every heartbeat (itself
re-queued by `/healthz` and by `serve`) re-queues the chains that broke. A chain is only ever
queued when none of its runs is waiting, so at most one survives.
"""

from collections.abc import Callable

_ensurers: dict[str, Callable[[], None]] = {}


def register(name: str, ensure: Callable[[], None]) -> None:
    """Register `ensure`, which queues the named chain unless a run of it is already waiting."""
    _ensurers[name] = ensure


def registered() -> list[str]:
    return sorted(_ensurers)


def ensure_all() -> None:
    for name in sorted(_ensurers):
        _ensurers[name]()

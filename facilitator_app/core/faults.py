"""Named fault points: places where a test stops, slows or breaks the app; in use, each is a no-op.

Why a seam instead of parameters: hooks such as `before_commit=` sat in production signatures,
and a crash point only the test driver called lived in the sync engine. Code names the point
with `reached("...")`; a test in the same process installs a hook for it (`installed`), and a
test that runs the app as a child process names the point in FFK_TEST_CRASH_AT, where the child
then ends as if killed (exit code 137).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Callable, Iterator

CRASH_ENV = "FFK_TEST_CRASH_AT"
CRASH_EXIT_CODE = 137

Hook = Callable[[Any], None]  # called with the point's subject (the local store, for the sync's points)
_hooks: dict[str, Hook] = {}


def reached(point: str, subject: Any = None) -> None:
    """Run the hook a test installed for `point` with `subject` (what the point is about, so a test
    that runs several laptops in one process can tell them apart), or end the process where
    FFK_TEST_CRASH_AT says."""
    hook = _hooks.get(point)
    if hook is not None:
        hook(subject)
    if os.environ.get(CRASH_ENV) == point:
        os._exit(CRASH_EXIT_CODE)


@contextmanager
def installed(point: str, hook: Hook) -> Iterator[None]:
    """For tests: run `hook(subject)` each time `point` is reached (from any thread) until the block ends."""
    if point in _hooks:
        raise RuntimeError(f"a hook for {point!r} is already installed")
    _hooks[point] = hook
    try:
        yield
    finally:
        del _hooks[point]

"""A busy SQLite database for the API tests: hold the write lock while requests come in.

On SQLite every transaction of ours takes the write lock up front (BEGIN IMMEDIATE). A
request handler that reads the database on the API's event loop then freezes the whole
server until the lock is free; if the holder needs the loop to let go (a request whose
session the loop has yet to close), both wait out the 30 s busy timeout.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, ModuleType

from sqlalchemy import text

from cloud.db.session import Sessions


@contextmanager
def write_lock_held(sessions: Sessions) -> Iterator[None]:
    """Hold the database's write lock in a real transaction of `sessions` until the block ends."""
    with sessions() as session:
        # the first statement begins the transaction: BEGIN IMMEDIATE, so the write lock is ours
        session.execute(text("SELECT 1"))
        try:
            yield
        finally:
            session.rollback()


def running_in(module: ModuleType) -> bool:
    """Tell whether some thread is executing code of `module` now (a request inside its handler).

    Lets a test know that a request has reached its handler, and so the database, without
    changing the code under test.
    """
    path = module.__file__
    for top in sys._current_frames().values():
        frame: FrameType | None = top
        while frame is not None:
            if frame.f_code.co_filename == path:
                return True
            frame = frame.f_back
    return False

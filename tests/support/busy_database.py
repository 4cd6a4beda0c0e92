"""A busy SQLite database for the API tests: hold the write lock while requests come in.

On SQLite every transaction of ours takes the write lock up front (BEGIN IMMEDIATE). A
request handler that reads the database on the API's event loop then freezes the whole
server until the lock is free; if the holder needs the loop to let go (a request whose
session the loop has yet to close), both wait out the 30 s busy timeout.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType, ModuleType

import httpx
from sqlalchemy import text

from cloud.db.session import Sessions
from tests.support.waiting import wait_until

PAGE = "/web/login.html"


@dataclass(frozen=True)
class BusyAnswers:
    """What came back from requests sent while the write lock was held."""

    page: httpx.Response | None  # the login page, asked for while they waited (None: no answer in time)
    replies: list[httpx.Response]


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


def send_while_locked(
    *,
    sessions: Sessions,
    base_url: str,
    handlers: ModuleType,
    requests: Sequence[Callable[[], httpx.Response]],
    page_timeout_s: float = 5.0,
) -> BusyAnswers:
    """Send `requests` at once while the write lock is held; once one waits inside `handlers`, load the login page.

    The lock is let go only after the page answered (or did not in time), like a request whose
    session the event loop has yet to close: a loop frozen by a waiting handler never gets there.
    """
    with (
        ThreadPoolExecutor(len(requests)) as senders,
        httpx.Client(base_url=base_url, timeout=page_timeout_s) as browser,
    ):
        with write_lock_held(sessions):
            answers = [senders.submit(request) for request in requests]
            wait_until(lambda: running_in(handlers), timeout=10, what=f"a request waiting in {handlers.__name__}")
            try:
                page: httpx.Response | None = browser.get(PAGE)
            except httpx.TimeoutException:
                page = None
        return BusyAnswers(page=page, replies=[answer.result() for answer in answers])

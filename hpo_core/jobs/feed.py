"""The bounded hand-over from the backends' reader threads to the tuner's loop.

Each training job's output is searched for metrics on the thread that reads it (see
:meth:`hpo_core.jobs.metrics.MetricScraper.extract`); what a line held goes into the
:class:`Feed`, which the loop empties. The feed holds at most ``bound`` items: a reader that
finds it full waits (it reads no further, so the job itself blocks on its full pipe), and no
line is ever dropped from the log, which the reader writes before it searches the line.

While the loop waits on a backend for one training job (``poll``, which may wait for a
finished job's readers), the bound is lifted for that job's readers only, so that a reader
never waits on a loop that waits on it; a finished job has at most a pipe's worth of output
left. After :meth:`Feed.close` nothing waits and what is put
is discarded (the tuner is gone).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hpo_core.adapters.base import LineSink
from hpo_core.jobs.metrics import Extract, MetricScraper

__all__ = ["Feed", "line_sink"]


class Feed:
    """Items from reader threads, in arrival order, at most ``bound`` waiting; each is put
    under a key (the training job's id) for :meth:`unbounded`.

    Args:
        bound: items (lines that held metrics) waiting at most, but for the keys lifted by
            :meth:`unbounded`.
    """

    def __init__(self, bound: int = 1024) -> None:
        self.bound = bound
        self._items: deque[Any] = deque()
        self._cond = threading.Condition()
        self._lifted: dict[Any, int] = {}
        self._closed = False

    def put(self, key: Any, item: Any) -> None:
        """Add ``item``; wait while the feed is full and ``key`` is not lifted (called by
        reader threads)."""
        with self._cond:
            while len(self._items) >= self.bound and key not in self._lifted \
                    and not self._closed:
                self._cond.wait(0.5)
            if self._closed:
                return
            self._items.append(item)
            if len(self._items) >= self.bound // 2:
                self._cond.notify_all()  # wake the loop's wait()

    def take(self) -> list[Any]:
        """Every waiting item, oldest first (called by the loop)."""
        with self._cond:
            out = list(self._items)
            self._items.clear()
            self._cond.notify_all()
            return out

    def wait(self, timeout: float) -> None:
        """Sleep up to ``timeout`` seconds, less once the feed is half full."""
        with self._cond:
            if len(self._items) < self.bound // 2 and not self._closed:
                self._cond.wait(timeout)

    def __len__(self) -> int:
        return len(self._items)

    @contextmanager
    def unbounded(self, key: Any) -> Iterator[None]:
        """Lift the bound for ``key``'s items for the duration (the loop is about to wait on
        a backend for that training job)."""
        with self._cond:
            self._lifted[key] = self._lifted.get(key, 0) + 1
            self._cond.notify_all()
        try:
            yield
        finally:
            with self._cond:
                self._lifted[key] -= 1
                if not self._lifted[key]:
                    del self._lifted[key]

    def close(self) -> None:
        """Release every waiting reader; later items are discarded."""
        with self._cond:
            self._closed = True
            self._items.clear()
            self._cond.notify_all()


def line_sink(feed: Feed, tid: int, scraper: MetricScraper) -> LineSink:
    """The backend's ``on_line`` for one attempt of training job ``tid``: the line is searched
    on the backend's thread; what it held goes into ``feed`` as ``(tid, scraper, found)``."""

    def on_line(_stream: str, line: str) -> None:
        try:
            found = scraper.extract(line)
        except Exception as e:  # a reader thread must not die: its job would block
            found = Extract(dropped=[(scraper.objective, f"metric scraping failed: "
                                      f"{type(e).__name__}: {e}")])
        if found:
            feed.put(tid, (tid, scraper, found))
    return on_line

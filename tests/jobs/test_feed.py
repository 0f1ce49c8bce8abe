"""The bounded feed from reader threads to the tuner's loop: back-pressure, never a deadlock."""

from __future__ import annotations

import threading
import time

from hpo_core.jobs.feed import Feed, line_sink
from hpo_core.jobs.metrics import MetricDefinition, MetricScraper


def _producer(feed: Feed, n: int, key: int = 0) -> tuple[threading.Thread, list[int]]:
    done: list[int] = []

    def run() -> None:
        for i in range(n):
            feed.put(key, i)
            done.append(i)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, done


def test_a_full_feed_holds_the_reader_back_and_loses_nothing() -> None:
    feed = Feed(bound=4)
    t, done = _producer(feed, 10)
    time.sleep(0.2)
    assert len(done) == 4 and len(feed) == 4  # waiting on the fifth
    got = []
    while len(got) < 10:
        got += feed.take()
        time.sleep(0.01)
    t.join(5)
    assert got == list(range(10))


def test_the_bound_is_lifted_for_the_job_the_loop_waits_on_only() -> None:
    feed = Feed(bound=2)
    with feed.unbounded(1):
        t, done = _producer(feed, 50, key=1)
        t.join(5)
        assert len(done) == 50  # a backend's poll that joins its readers cannot deadlock
        other, held = _producer(feed, 3, key=2)
        time.sleep(0.2)
        assert held == []  # another job's reader still waits
    assert feed.take() == list(range(50))
    got: list[int] = []
    while len(got) < 3:
        got += feed.take()
        time.sleep(0.01)
    other.join(5)
    assert held == got == [0, 1, 2]


def test_close_releases_a_waiting_reader() -> None:
    feed = Feed(bound=1)
    t, _ = _producer(feed, 3)
    time.sleep(0.1)
    feed.close()
    t.join(5)
    assert not t.is_alive() and feed.take() == []


def test_wait_returns_early_once_half_full() -> None:
    feed = Feed(bound=4)
    threading.Timer(0.05, lambda: (feed.put(0, 1), feed.put(0, 2))).start()
    start = time.monotonic()
    feed.wait(5.0)
    assert time.monotonic() - start < 2.0


def test_the_sink_hands_over_only_lines_with_metrics_and_survives_a_broken_scraper() -> None:
    feed = Feed()
    scraper = MetricScraper([MetricDefinition("loss", r"loss=([0-9.]+)")], "loss")
    sink = line_sink(feed, 7, scraper)
    sink("stdout", "noise")
    sink("stdout", "loss=0.5")
    [(tid, who, found)] = feed.take()
    assert tid == 7 and who is scraper and found.values == [("loss", "0.5")]

    def broken(line: str) -> None:
        raise RuntimeError("boom")

    scraper.extract = broken  # type: ignore[method-assign]
    sink("stderr", "loss=1")  # no exception on the reader thread
    [(_, _, found)] = feed.take()
    scraper.apply(found)
    value, why = scraper.objective_value()
    assert value is None and "metric scraping failed: RuntimeError: boom" in why

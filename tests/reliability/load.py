"""A small load generator for 127.0.0.1: threads, each with its own http.client connection (reopened
when gunicorn's sync workers close it), until a deadline or a request count is reached."""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list = field(default_factory=list)  # (monotonic time, what went wrong)
    successes: list = field(default_factory=list)  # monotonic times of 200s, when asked to keep them
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        return len(self.failures)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_load(port: int, path: str, body: bytes, *, concurrency: int, seconds: float | None = None,
             total: int | None = None, keep_times: bool = False, on_progress=None,
             content_type: str = "application/json") -> LoadResult:
    """POST ``body`` to ``path`` from ``concurrency`` threads; a non-200 or a broken connection is a failure."""
    result = LoadResult()
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds if seconds else None
    stop = threading.Event()
    headers = {"Content-Type": content_type}

    def claim() -> bool:
        with lock:
            if stop.is_set() or (total is not None and result.requests >= total) or \
                    (deadline is not None and time.monotonic() >= deadline):
                stop.set()
                return False
            result.requests += 1
            if on_progress is not None:
                on_progress(result.requests)
            return True

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while claim():
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                with lock:
                    result.failures.append((time.monotonic(), f"{type(exc).__name__}: {exc}"))
                continue
            with lock:
                result.statuses[status] += 1
                if status != 200:
                    result.failures.append((time.monotonic(), f"HTTP {status}"))
                elif keep_times:
                    result.successes.append(time.monotonic())
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.monotonic() - started
    return result

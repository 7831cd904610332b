"""The load generator: a separate process that drives the server and times each request.

Run as `python -m bench.loadgen` with a JSON spec on stdin; prints one JSON summary on stdout. Each
connection is a thread with its own keep-alive `http.client` connection sending requests back to back
(closed loop), so a connection's rate is 1 / its latency. The run stops after `duration` seconds or
`max_requests` requests, whichever comes first; warm-up requests are sent first and not counted.

Spec keys: host, port, connections, duration, max_requests, warmup (requests per connection), method,
paths (cycled across all connections), headers, body_template (``__N__`` is replaced by a number unique
in the run, counting from ``first_n``), expect (statuses that count as success), keep_latencies (also
return every latency, so runs taken in rounds can be summed up exactly).
"""

import http.client
import itertools
import json
import sys
import threading
import time
from typing import Any


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by the nearest-rank method; 0.0 for no values."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


class _Run:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.lock = threading.Lock()
        self.counter = itertools.count(int(spec.get("first_n", 1)))
        self.path_cycle = itertools.cycle(spec["paths"])
        self.sent = 0
        self.stop_at = 0.0
        self.latencies: list[float] = []
        self.statuses: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.sample_failure = ""

    def next_request(self, counted: bool) -> tuple[str, bytes | None] | None:
        with self.lock:
            if counted:
                if self.sent >= self.spec["max_requests"] or time.perf_counter() >= self.stop_at:
                    return None
                self.sent += 1
            path = next(self.path_cycle)
            n = next(self.counter)
        template = self.spec.get("body_template")
        body = template.replace("__N__", str(n)).encode() if template is not None else None
        return path.replace("__N__", str(n)), body

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.spec["host"], self.spec["port"], timeout=60)

    def send(
        self, conn: http.client.HTTPConnection, path: str, body: bytes | None
    ) -> tuple[http.client.HTTPConnection, int, bytes]:
        headers = dict(self.spec.get("headers", {}))
        for attempt in range(2):
            try:
                conn.request(self.spec.get("method", "GET"), path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = self.connect()
                return conn, response.status, data
            except (ConnectionError, http.client.HTTPException):
                # The server closed an idle keep-alive connection: reconnect once.
                conn.close()
                conn = self.connect()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def worker(self, start: threading.Barrier) -> None:
        conn = self.connect()
        for _ in range(int(self.spec.get("warmup", 0))):
            request = self.next_request(counted=False)
            if request is not None:
                conn, _, _ = self.send(conn, *request)
        start.wait()
        expect = set(self.spec.get("expect", [200]))
        while True:
            request = self.next_request(counted=True)
            if request is None:
                break
            began = time.perf_counter()
            try:
                conn, status, data = self.send(conn, *request)
            except (OSError, http.client.HTTPException) as exc:
                with self.lock:
                    self.errors[type(exc).__name__] = self.errors.get(type(exc).__name__, 0) + 1
                conn = self.connect()
                continue
            elapsed = (time.perf_counter() - began) * 1000
            with self.lock:
                self.latencies.append(elapsed)
                self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
                if status not in expect and not self.sample_failure:
                    self.sample_failure = (
                        f"{status} {request[0][:120]}: {data[:300].decode(errors='replace')}"
                    )
        conn.close()

    def run(self) -> dict[str, Any]:
        connections = int(self.spec["connections"])
        start = threading.Barrier(connections + 1)
        threads = [threading.Thread(target=self.worker, args=(start,)) for _ in range(connections)]
        for thread in threads:
            thread.start()
        self.stop_at = time.perf_counter() + 3600  # set for real once every connection is warm
        start.wait()
        began = time.perf_counter()
        self.stop_at = began + float(self.spec["duration"])
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        values = sorted(self.latencies)
        expect = {str(s) for s in self.spec.get("expect", [200])}
        ok = sum(n for s, n in self.statuses.items() if s in expect)
        summary = {
            "connections": connections,
            "requests": len(values),
            "ok": ok,
            "failed": len(values) - ok + sum(self.errors.values()),
            "elapsed_s": elapsed,
            "rps": len(values) / elapsed if elapsed else 0.0,
            "p50_ms": percentile(values, 50),
            "p90_ms": percentile(values, 90),
            "p99_ms": percentile(values, 99),
            "max_ms": values[-1] if values else 0.0,
            "mean_ms": sum(values) / len(values) if values else 0.0,
            "statuses": self.statuses,
            "errors": self.errors,
            "sample_failure": self.sample_failure,
        }
        if self.spec.get("keep_latencies"):
            summary["latencies_ms"] = values
        return summary


def main() -> int:
    spec = json.load(sys.stdin)
    json.dump(_Run(spec).run(), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

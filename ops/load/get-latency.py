#!/usr/bin/env python3
"""One client's read latency, path by path, against a running registry.

For each PATH: 20 GETs to warm up, then N timed ones, one after the other
over one keep-alive connection; prints a Markdown row per path with the
answer's bytes and p50/p90/p99/max in milliseconds. With TOKEN set the
requests carry it as a bearer token, so that every read asks the views
(anonymous reads may come from the gateway's kept answers). Loopback
only; bounded by N.

    TOKEN=<token> ops/load/get-latency.py http://127.0.0.1:8080 300 \\
        '/api/v1/lands/09/gemeinden?limit=50' \\
        '/api/v1/lands/09/not-adopted/leistung-0001?limit=50'
"""

import http.client
import os
import sys
import time
import urllib.parse


def main() -> None:
    base = urllib.parse.urlparse(sys.argv[1])
    if base.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("get-latency: loopback addresses only")
    count = int(sys.argv[2])
    headers = {"Authorization": f"Bearer {os.environ['TOKEN']}"} if "TOKEN" in os.environ else {}
    connection = http.client.HTTPConnection(base.hostname, base.port)

    def get(path: str) -> int:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            sys.exit(f"get-latency: {path} answered {response.status}: {body[:200]!r}")
        return len(body)

    for path in sys.argv[3:]:
        for _ in range(20):
            get(path)
        times = []
        for _ in range(count):
            started = time.perf_counter()
            size = get(path)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()

        def at(share: float) -> float:
            return times[min(len(times) - 1, int(share * len(times)))]

        print(f"| `{path}` | {size:,} | {at(0.5):.2f} | {at(0.9):.2f} | {at(0.99):.2f} | {times[-1]:.2f} |")


if __name__ == "__main__":
    main()

"""Benchmark: the kernel's cost of one small send() on a loopback TCP connection, the floor under any
fan-out that writes each event to each viewer's socket.

Opens `--connections` loopback TCP pairs inside this one process (pinned to core 0) and times a plain
Python loop of send() calls, one 120-byte message per connection, three rounds.

    .venv/bin/python -u loadtest/send_floor.py [--connections 2000]
"""

from __future__ import annotations

import argparse
import os
import socket
import time

from common import result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=2000)
    args = parser.parse_args()
    os.sched_setaffinity(0, {0})
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    port = listener.getsockname()[1]
    readers, writers = [], []
    try:
        for _ in range(args.connections):
            readers.append(socket.create_connection(("127.0.0.1", port)))
            writer, _ = listener.accept()
            writer.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            writers.append(writer)
        message = b"x" * 120
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            for writer in writers:
                writer.send(message)
            best = min(best, time.perf_counter() - started)
            for reader in readers:
                reader.recv(4096)
        per_send_us = best / args.connections * 1e6
        print(f"one send() of 120 bytes on loopback TCP: {per_send_us:.2f} us "
              f"({args.connections} connections: {best * 1000:.1f} ms for one message to each)")
        result("send_floor", connections=args.connections, us_per_send=round(per_send_us, 2))
    finally:
        for s in [*readers, *writers, listener]:
            s.close()


if __name__ == "__main__":
    main()

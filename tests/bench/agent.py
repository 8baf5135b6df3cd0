#!/usr/bin/python3
"""A tiny stand-in for the AI agent, for latency and pacing benchmarks.

It listens on a loopback address only, answers GET /health, POST /chat and
POST /repair with fixed JSON after a delay (fixed, or uniformly random), and
records the arrival time of every request. The delay is a timer per request, so
concurrent requests never wait for each other.

On SIGTERM or SIGINT (or after --max-seconds) it writes one tab-separated line
per request to --log and exits:

    wall_arrival_s  mono_arrival_ns  mono_answered_ns  method  path  model

wall_arrival_s is time.time() when the request's headers were complete;
mono_* are time.monotonic_ns(); model is "a", "b" or "-".
"""

import argparse
import asyncio
import ipaddress
import json
import random
import signal
import sys
import time
from urllib.parse import parse_qs, urlsplit

HEALTH = b'{"status":"healthy"}'
CHAT = (b'{"response":"ok","model_used":"m","latency_seconds":0.0,'
        b'"timestamp":"2026-01-01T00:00:00"}')
REPAIR = (b'{"success":true,"final_status":"healthy","actions_taken":[],'
          b'"tool_calls":[],"model_used":"m","latency_seconds":0.0}')
NOT_FOUND = b'{"detail":"Not Found"}'
MAX_HEAD = 64 * 1024


def response(status, body, keep_alive):
    reason = {200: b"OK", 404: b"Not Found", 400: b"Bad Request"}[status]
    return b"".join([
        b"HTTP/1.1 ", str(status).encode(), b" ", reason, b"\r\n",
        b"content-type: application/json\r\n",
        b"content-length: ", str(len(body)).encode(), b"\r\n",
        b"connection: ", b"keep-alive" if keep_alive else b"close", b"\r\n\r\n",
        body])


class Agent:
    def __init__(self, args):
        self.args = args
        self.records = []
        self.rng = random.Random(args.seed)

    def delay_s(self, path):
        if path == "/health":
            return 0.0
        if self.args.delay_max_ms is not None:
            return self.rng.uniform(self.args.delay_min_ms, self.args.delay_max_ms) / 1000.0
        return self.args.delay_ms / 1000.0


class Connection(asyncio.Protocol):
    def __init__(self, agent):
        self.agent = agent
        self.buffer = b""
        self.transport = None
        self.busy = False  # one request at a time per connection, answers in order
        self.closed = False

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        self.closed = True

    def data_received(self, data):
        self.buffer += data
        self.next_request()

    def next_request(self):
        if self.busy or self.closed:
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD:
                self.transport.close()
            return
        head = self.buffer[:end].decode("latin-1")
        lines = head.split("\r\n")
        try:
            method, target, version = lines[0].split(" ", 2)
        except ValueError:
            self.transport.write(response(400, b"{}", False))
            self.transport.close()
            return
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        if len(self.buffer) < end + 4 + length:
            return  # wait for the rest of the body
        body = self.buffer[end + 4:end + 4 + length]
        self.buffer = self.buffer[end + 4 + length:]
        wall, mono = time.time(), time.monotonic_ns()

        url = urlsplit(target)
        path = url.path
        model = "-"
        if path == "/repair":
            model = parse_qs(url.query).get("model", ["-"])[0]
        elif path == "/chat" and body:
            try:
                model = str(json.loads(body).get("model", "-"))
            except (ValueError, AttributeError):
                pass
        if method == "GET" and path == "/health":
            status, payload = 200, HEALTH
        elif method == "POST" and path == "/chat":
            status, payload = 200, CHAT
        elif method == "POST" and path == "/repair":
            status, payload = 200, REPAIR
        else:
            status, payload = 404, NOT_FOUND
        keep_alive = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
        record = [wall, mono, 0, method, path, model]
        self.agent.records.append(record)
        self.busy = True
        delay = self.agent.delay_s(path)
        loop = asyncio.get_running_loop()
        if delay > 0:
            loop.call_later(delay, self.answer, record, status, payload, keep_alive)
        else:
            self.answer(record, status, payload, keep_alive)

    def answer(self, record, status, payload, keep_alive):
        record[2] = time.monotonic_ns()
        self.busy = False
        if self.closed:
            return
        self.transport.write(response(status, payload, keep_alive))
        if not keep_alive:
            self.transport.close()
            return
        self.next_request()


def check_loopback(host):
    if not ipaddress.ip_address(host).is_loopback:
        sys.exit(f"agent.py: {host} is not a loopback address; refusing to listen there")


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="fixed delay of each answer")
    parser.add_argument("--delay-min-ms", type=float, default=0.0)
    parser.add_argument("--delay-max-ms", type=float, default=None,
                        help="with this, each answer waits uniform(min, max) ms")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log", help="write the request log here on exit")
    parser.add_argument("--port-file", help="write the port here once listening")
    parser.add_argument("--max-seconds", type=float, default=3600.0,
                        help="exit after this long in any case (default 1 h)")
    args = parser.parse_args()
    check_loopback(args.host)

    agent = Agent(args)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Connection(agent), args.host, args.port,
                                      backlog=1024)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        import os
        os.replace(args.port_file + ".tmp", args.port_file)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    try:
        await asyncio.wait_for(stop, args.max_seconds)
    except asyncio.TimeoutError:
        pass
    server.close()
    if args.log:
        with open(args.log, "w") as f:
            for wall, mono, answered, method, path, model in agent.records:
                f.write(f"{wall:.6f}\t{mono}\t{answered}\t{method}\t{path}\t{model}\n")


if __name__ == "__main__":
    asyncio.run(main())

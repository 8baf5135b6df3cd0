"""Locust's passive load generator, rebuilt for benchmarks from the seed's description.

PassiveLoadUser as the seed has it: constant_pacing(720), on_start() sends a first
prompt at once, every cycle picks a weighted-random prompt and sends it to Model A,
then Model B; MCP prompts go to POST /repair?model=X&workflow=W with an empty body,
the rest to POST /chat with {"message": ..., "model": X}. The pool is aimload's
default pool (prompts/default.json), the seed's prompts and weights.

For the benchmarks only, two environment variables change it:
  PASSIVE_PACING  seconds between cycle starts (default 720)
  PASSIVE_CYCLES  quit after this many cycles, on_start's included (default: never)

It refuses any host that is not a loopback address.

    locust -f tests/bench/locustfile.py --headless -u 1 -r 1 --host http://127.0.0.1:PORT
"""

import ipaddress
import json
import os
import random
import socket
from pathlib import Path
from urllib.parse import urlsplit

import gevent
from locust import HttpUser, constant_pacing, task
from locust.exception import StopUser

POOL_FILE = Path(os.environ.get(
    "PASSIVE_PROMPTS", Path(__file__).resolve().parents[2] / "prompts" / "default.json"))
PACING = float(os.environ.get("PASSIVE_PACING", "720"))
CYCLES = int(os.environ.get("PASSIVE_CYCLES", "0"))
TIMEOUT = 660  # beyond the agent's 600 s workflow limit

GROUPS = json.loads(POOL_FILE.read_text(encoding="utf-8"))["groups"]
WEIGHTS = [g["weight"] for g in GROUPS]


def pick_prompt():
    group = random.choices(GROUPS, weights=WEIGHTS)[0]
    return group["name"], random.choice(group["prompts"])


def require_loopback(url):
    host = urlsplit(url or "").hostname or ""
    addresses = {info[4][0] for info in socket.getaddrinfo(host, None)} if host else set()
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback
                                for a in addresses):
        raise SystemExit(f"locustfile.py: {url!r} is not a loopback host; refusing to send")


class PassiveLoadUser(HttpUser):
    wait_time = constant_pacing(PACING)

    def on_start(self):
        require_loopback(self.host)
        self.cycles = 0
        print("[LOCUST] on_start: Sending initial request immediately...", flush=True)
        self.send_prompt()

    @task
    def passive_cycle(self):
        self.send_prompt()

    def send_prompt(self):
        if CYCLES and self.cycles >= CYCLES:
            raise StopUser()
        self.cycles += 1
        group, prompt = pick_prompt()
        print(f"[LOCUST] Sending prompt: {group} - {prompt['description']} "
              f"(endpoint={prompt['endpoint']})", flush=True)
        for model in ("a", "b"):
            name = f"{group} [{model.upper()}]"
            if prompt["endpoint"] == "/repair":
                response = self.client.post(
                    f"/repair?model={model}&workflow={prompt['workflow']}",
                    name=name, timeout=TIMEOUT)
            else:
                response = self.client.post(
                    "/chat", json={"message": prompt["text"], "model": model},
                    name=name, timeout=TIMEOUT)
            mark = "✓" if response.ok else "✗"
            print(f"[LOCUST] {mark} Model {model.upper()}: {group} "
                  f"({response.elapsed.total_seconds():.1f}s)", flush=True)
        if CYCLES and self.cycles >= CYCLES:
            gevent.spawn_later(0.05, self.environment.runner.quit)

"""Locust users that post /chat back to back, for the throughput benchmark.

Each task is one A/B cycle of the chat-only pool's first prompt: POST /chat to
Model A, then to Model B, with no wait between tasks. ChatHttpUser uses the
requests-based HttpUser (the class the seed's PassiveLoadUser derives from),
ChatFastHttpUser Locust's geventhttpclient-based FastHttpUser. Name one on the
command line:

    locust -f tests/bench/locust_throughput.py ChatFastHttpUser --headless \
        -u 50 -r 50 --run-time 20s --host http://127.0.0.1:PORT

It refuses any host that is not a loopback address.
"""

from locust import HttpUser, constant, task
from locust.contrib.fasthttp import FastHttpUser

from locustfile import require_loopback

MESSAGE = "Hello! What can you help me with?"


class ChatHttpUser(HttpUser):
    wait_time = constant(0)

    def on_start(self):
        require_loopback(self.host)

    @task
    def cycle(self):
        for model in ("a", "b"):
            self.client.post("/chat", json={"message": MESSAGE, "model": model},
                             name=f"simple_chat [{model.upper()}]")


class ChatFastHttpUser(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        require_loopback(self.host)

    @task
    def cycle(self):
        for model in ("a", "b"):
            self.client.post("/chat", json={"message": MESSAGE, "model": model},
                             name=f"simple_chat [{model.upper()}]")

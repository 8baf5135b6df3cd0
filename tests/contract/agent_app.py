#!/usr/bin/python3
"""A stand-in for the demo's AI agent, for aimload's contract test.

It declares the agent's routes the way the real FastAPI service does, so requests are
validated by the same FastAPI and pydantic code, and answers instantly instead of
asking a model. Every request it receives, valid or not, is recorded and can be read
back from GET /_contract/log.

    python3 agent_app.py --port-file FILE     # port chosen by the system
    python3 -m uvicorn agent_app:app --host 127.0.0.1 --port 8001
"""

import argparse
import base64
import os
import socket
import sys
import time
from datetime import datetime
from typing import List, Literal, Optional

try:
    import uvicorn
    from fastapi import FastAPI, HTTPException
    from pydantic import BaseModel
except ModuleNotFoundError:
    # FastAPI comes from Debian's python3-fastapi, which only the system interpreter
    # sees; a python3 earlier on PATH (pyenv, a venv) would not find it.
    system_python = "/usr/bin/python3"
    if __name__ == "__main__" and sys.executable != system_python and os.path.exists(system_python):
        os.execv(system_python, [system_python, *sys.argv])
    raise

SERVICE_VERSION = "2.0.0-langchain"
MODEL_NAMES = {"a": "mistral:7b-instruct-v0.3", "b": "ministral-3:8b-instruct-2512-q8_0"}

# The tool calls each workflow forces. The system is always healthy here, so
# repair_deterministic never needs the logs and restart steps it would add when degraded.
WORKFLOWS = {
    "minimal_single_tool": [("system_health", {})],
    "forced_full_repair": [
        ("system_health", {}),
        ("service_restart", {"service": "api-gateway"}),
        ("system_health", {}),
    ],
    "repair_deterministic": [("system_health", {}), ("system_health", {})],
    "repair_open_ended": [("system_health", {})],
}
MODEL_CHOSEN_TOOLS = [("system_health", {})]

STARTED_AT = time.monotonic()
CONTRACT_PREFIX = "/_contract/"

received: List[dict] = []
counters = {name: {"requests": 0, "errors": 0} for name in MODEL_NAMES}


class ChatRequest(BaseModel):
    message: str
    model: Literal["a", "b"] = "a"


class ChatResponse(BaseModel):
    response: str
    model_used: str
    latency_seconds: float
    timestamp: str


class ToolCall(BaseModel):
    tool_name: str
    arguments: dict
    success: bool
    result: str
    error: Optional[str]
    timestamp: str


class RepairResponse(BaseModel):
    success: bool
    actions_taken: List[str]
    containers_restarted: List[str]
    final_status: str
    model_used: str
    latency_seconds: float
    timestamp: str
    tool_calls: List[ToolCall]
    ai_reasoning: Optional[str]


def now() -> str:
    return datetime.now().isoformat()


def run_tool(name: str, arguments: dict) -> ToolCall:
    if name == "service_restart":
        result = f"Service {arguments['service']} restarted"
    else:
        result = "All services healthy"
    return ToolCall(tool_name=name, arguments=arguments, success=True, result=result[:200],
                    error=None, timestamp=now())


def run_workflow(workflow: Optional[str]) -> List[ToolCall]:
    if not workflow:
        return [run_tool(name, arguments) for name, arguments in MODEL_CHOSEN_TOOLS]
    if workflow not in WORKFLOWS:
        raise ValueError(f"unknown workflow {workflow}")
    return [run_tool(name, arguments) for name, arguments in WORKFLOWS[workflow]]


class RecordingMiddleware:
    """Records each request: method, raw path and query, headers, body and status.

    A pure ASGI middleware: it reads the whole body first, then replays it to the app.
    Reading the body inside Starlette's BaseHTTPMiddleware can leave the route waiting
    for a body that was already consumed, and a route without a body parameter (such
    as /repair) never reads it, yet a stray body is exactly what the test must see.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith(CONTRACT_PREFIX):
            await self.app(scope, receive, send)
            return

        body = b""
        more_body = True
        while more_body:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more_body = message.get("more_body", False)

        entry = self.new_entry(scope, body)
        received.append(entry)

        replayed = False

        async def replay_receive():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def recording_send(message):
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            await send(message)

        await self.app(scope, replay_receive, recording_send)

    @staticmethod
    def new_entry(scope, body: bytes) -> dict:
        headers = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        client = scope.get("client") or ("", 0)
        return {
            "seq": len(received),
            "time": now(),
            "client_port": client[1],
            "http_version": scope["http_version"],
            "method": scope["method"],
            "path": scope.get("raw_path", scope["path"].encode()).decode("latin-1"),
            "query": scope["query_string"].decode("latin-1"),
            "headers": headers,
            "body": body.decode("latin-1"),
            "body_base64": base64.b64encode(body).decode("ascii"),
            "status": None,
        }


app = FastAPI(title="AI agent (contract stand-in)", version=SERVICE_VERSION)
app.add_middleware(RecordingMiddleware)


@app.get("/")
async def root():
    return {
        "service": "ai-agent",
        "version": SERVICE_VERSION,
        "models": MODEL_NAMES,
        "endpoints": ["/health", "/chat", "/repair", "/status", "/metrics", "/prompts"],
    }


@app.get("/health")
async def health():
    return {
        "status": "healthy",
        "service": "ai-agent",
        "version": SERVICE_VERSION,
        "uptime_seconds": time.monotonic() - STARTED_AT,
    }


@app.post("/chat", response_model=ChatResponse)
async def chat(request: ChatRequest):
    started = time.monotonic()
    counters[request.model]["requests"] += 1
    answer = f"Model {request.model.upper()} read {len(request.message)} characters."
    return ChatResponse(response=answer, model_used=MODEL_NAMES[request.model],
                        latency_seconds=time.monotonic() - started, timestamp=now())


@app.post("/repair", response_model=RepairResponse)
async def repair(model: Literal["a", "b"] = "a", workflow: Optional[str] = None):
    started = time.monotonic()
    counters[model]["requests"] += 1
    try:
        tool_calls = run_workflow(workflow)
    except Exception as error:
        counters[model]["errors"] += 1
        raise HTTPException(status_code=500, detail=f"Repair workflow failed: {error}")

    # Only the workflows that leave the choice of tools to the model explain it.
    reasoning = None
    if workflow in (None, "", "repair_open_ended"):
        reasoning = "The system looked healthy, so one health check was enough."
    restarted = [call.arguments["service"] for call in tool_calls
                 if call.tool_name == "service_restart"]
    return RepairResponse(
        success=True,
        actions_taken=[f"{call.tool_name}: {call.result}" for call in tool_calls],
        containers_restarted=restarted,
        final_status="healthy",
        model_used=MODEL_NAMES[model],
        latency_seconds=time.monotonic() - started,
        timestamp=now(),
        tool_calls=tool_calls,
        ai_reasoning=reasoning,
    )


@app.get("/status")
async def status():
    return {
        "models": {
            name: {"name": MODEL_NAMES[name], "busy": False, **counts}
            for name, counts in counters.items()
        }
    }


@app.get("/metrics")
async def metrics():
    return {
        "uptime_seconds": time.monotonic() - STARTED_AT,
        "requests_total": sum(counts["requests"] for counts in counters.values()),
        "errors_total": sum(counts["errors"] for counts in counters.values()),
    }


@app.get("/prompts")
async def prompts():
    pool = [
        {"id": "health_check", "category": "mcp", "weight": 1, "workflow": "minimal_single_tool"},
        {"id": "simple_question", "category": "simple_chat", "weight": 1, "workflow": None},
    ]
    return {"count": len(pool), "prompts": pool}


@app.get("/_contract/log")
async def contract_log():
    return received


@app.post("/_contract/reset")
async def contract_reset():
    cleared = len(received)
    received.clear()
    for counts in counters.values():
        counts.update(requests=0, errors=0)
    return {"cleared": cleared}


class AnnouncingServer(uvicorn.Server):
    """Writes the port to a file once uvicorn serves, so a test can wait for the file."""

    def __init__(self, config, port_file: str, port: int):
        super().__init__(config)
        self.port_file = port_file
        self.port = port

    async def startup(self, sockets=None):
        await super().startup(sockets)
        if self.should_exit:
            return
        # Written under another name, then renamed: a reader never sees half a file.
        partial = f"{self.port_file}.partial"
        with open(partial, "w") as file:
            file.write(f"{self.port}\n")
        os.replace(partial, self.port_file)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: let the system choose")
    parser.add_argument("--port-file", help="write the port here once serving")
    args = parser.parse_args()

    if args.port_file and os.path.exists(args.port_file):
        os.unlink(args.port_file)  # a file left by an earlier run would announce a dead port

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as error:
        sys.exit(f"agent_app: cannot listen on {args.host}:{args.port}: {error.strerror}")
    port = sock.getsockname()[1]

    config = uvicorn.Config(app, access_log=False, log_level="warning")
    if args.port_file:
        server = AnnouncingServer(config, args.port_file, port)
    else:
        server = uvicorn.Server(config)
        print(f"agent_app: serving on http://{args.host}:{port}", flush=True)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()

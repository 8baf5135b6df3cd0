#!/usr/bin/python3
"""aimload against Locust on loopback: idle footprint, start to first request, pacing,
throughput, latency under concurrency and long-run memory.

Run through run-benchmarks.sh, or directly:

    tests/bench/bench.py [--short] [--aimload PATH] [--out DIR] [NAME ...]

NAME is any of: idle startup pacing throughput latency memory valgrind (default: all
of them; idle runs in the background while the others run). profile records a
perf profile of aimload in the throughput setting and is never part of the default.

Every server it starts listens on 127.0.0.1 only, every load generator it starts is
pointed at one of those servers, and every run is bounded in time. Results go to
OUT/results.json and OUT/results.md (tables), raw logs next to them.
"""

import argparse
import csv
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PYTHON = "/usr/bin/python3"  # the interpreter Debian's python3-locust belongs to
LOCUST = shutil.which("locust") or "/usr/bin/locust"
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

children = []  # every process started here, ended by its own process group at exit


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


# --- processes -------------------------------------------------------------------------

def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy") and not k.startswith("AIMLOAD_")
           and k not in ("AI_AGENT_URL", "LOCUST_WEB_PORT")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost,::1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def spawn(argv, out=None, env=None, cwd=None):
    stdout = open(out, "wb") if out else subprocess.DEVNULL
    proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=env or clean_env(), cwd=cwd, start_new_session=True)
    if out:
        stdout.close()
    children.append(proc)
    return proc


def end(proc, sig=signal.SIGTERM, grace=10.0):
    """Signal a process started here (and its own process group), wait, then kill."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(5)
    return proc.returncode


def end_all():
    for proc in children:
        end(proc, grace=3.0)


def wait_bounded(proc, seconds):
    try:
        return proc.wait(seconds)
    except subprocess.TimeoutExpired:
        log(f"pid {proc.pid} still running after {seconds:.0f} s; ending it")
        end(proc)
        return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=2.0):
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=timeout) as r:
        return r.status, r.read()


def http_post(url, token, timeout=2.0):
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, data=b"", method="POST",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=timeout) as r:
        return r.status, r.read()


def wait_healthy(port, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if http_get(f"http://127.0.0.1:{port}/health", 1.0)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"no server answering on 127.0.0.1:{port}")


class Nginx:
    def __init__(self, scratch, name="nginx", access_log=False):
        self.dir = Path(scratch) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        conf = (HERE / "nginx.conf.in").read_text()
        conf = conf.replace("access_log off;", "log_format bench '$msec $request $status \"$http_user_agent\"';\n"
                            "    access_log @DIR@/access.log bench;" if access_log else "access_log off;")
        conf = conf.replace("@PORT@", str(self.port)).replace("@DIR@", str(self.dir))
        (self.dir / "nginx.conf").write_text(conf)
        self.proc = spawn(["nginx", "-c", str(self.dir / "nginx.conf"), "-p", str(self.dir)],
                          out=self.dir / "nginx.out")
        wait_healthy(self.port)
        self.url = f"http://127.0.0.1:{self.port}"

    def requests(self):
        """nginx's count of requests handled so far, less the status request itself."""
        body = http_get(self.url + "/nginx_status")[1].decode()
        return int(body.splitlines()[2].split()[2]) - 1

    def stop(self):
        end(self.proc, signal.SIGQUIT)


class Agent:
    """tests/bench/agent.py: loopback agent with delays; logs each request's arrival."""

    def __init__(self, scratch, name, *options, prefix=()):
        self.log = Path(scratch) / f"{name}.tsv"
        port_file = Path(scratch) / f"{name}.port"
        port_file.unlink(missing_ok=True)
        self.proc = spawn([*prefix, PYTHON, str(HERE / "agent.py"), "--port-file", str(port_file),
                           "--log", str(self.log), "--max-seconds", "1800", *options],
                          out=Path(scratch) / f"{name}.out")
        deadline = time.monotonic() + 10
        while not port_file.exists():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("agent.py did not start")
            time.sleep(0.02)
        self.port = int(port_file.read_text())
        self.url = f"http://127.0.0.1:{self.port}"
        wait_healthy(self.port)

    def stop(self):
        """Ends the agent and returns its records (the /health probe above included)."""
        end(self.proc, signal.SIGTERM, grace=30)
        rows = []
        for line in self.log.read_text().splitlines():
            wall, mono, answered, method, path, model = line.split("\t")
            rows.append({"wall": float(wall), "mono": int(mono), "answered": int(answered),
                         "method": method, "path": path, "model": model})
        return rows


# --- /proc -----------------------------------------------------------------------------

def proc_sample(pid):
    """VmRSS, RssAnon (KB), CPU seconds (utime+stime of all threads) and context switches."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    stat = Path(f"/proc/{pid}/stat").read_text()
    rest = stat[stat.rindex(")") + 2:].split()
    cpu = (int(rest[11]) + int(rest[12])) / TICKS  # fields 14 and 15 of stat
    # voluntary context switches of the main thread: how often it went to sleep, that
    # is about how often it woke up (threads that come and go would lose their counts)
    switches = int(fields["voluntary_ctxt_switches"].strip())
    # time on a CPU from the scheduler (se.sum_exec_runtime, ms with 6 decimals) of the
    # threads alive now: finer than stat's 10 ms ticks, but a thread that has exited
    # takes its time with it
    run_ns = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            for line in (task / "sched").read_text().splitlines():
                if line.startswith("se.sum_exec_runtime"):
                    run_ns += int(float(line.split(":")[1]) * 1e6)
        except (OSError, ValueError, IndexError):
            pass
    return {"t": time.monotonic(), "rss_kb": int(fields["VmRSS"].split()[0]), "run_ns": run_ns,
            "anon_kb": int(fields.get("RssAnon", "0 kB").split()[0]), "cpu_s": cpu,
            "switches": switches, "threads": int(fields["Threads"].strip())}


class Sampler(threading.Thread):
    """Samples a process every `every` seconds until it exits or stop() is called."""

    def __init__(self, pid, every=1.0):
        super().__init__(daemon=True)
        self.pid, self.every, self.samples = pid, every, []
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            try:
                self.samples.append(proc_sample(self.pid))
            except (OSError, ValueError, KeyError):
                return
            self.halt.wait(self.every)

    def stop(self):
        self.halt.set()
        self.join()
        return self.samples


def time_v(path):
    """Figures of /usr/bin/time -v's report."""
    text = Path(path).read_text()

    def field(name):
        m = re.search(re.escape(name) + r":\s*(.+)", text)
        return m.group(1).strip() if m else None

    elapsed = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(p) for p in elapsed.split(":")]
    wall = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) == 3 else 0)
    return {"user_s": float(field("User time (seconds)")),
            "sys_s": float(field("System time (seconds)")),
            "cpu_s": float(field("User time (seconds)")) + float(field("System time (seconds)")),
            "wall_s": wall, "max_rss_kb": int(field("Maximum resident set size (kbytes)"))}


# --- statistics ------------------------------------------------------------------------

def nearest_rank(values, p):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def slope(xs, ys):
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx


def med(values):
    return statistics.median(values) if values else None


# --- command lines ---------------------------------------------------------------------

class Tools:
    def __init__(self, aimload, scratch):
        self.aimload = str(aimload)
        self.scratch = Path(scratch)

    def aimload_cmd(self, url, *options):
        return [self.aimload, "--host", url, *options]

    def locust_cmd(self, locustfile, url, users, *options, user_class=None):
        argv = [LOCUST, "-f", str(HERE / locustfile), "--headless", "-u", str(users),
                "-r", str(users), "--host", url, *options]
        if user_class:
            argv.append(user_class)
        return argv


# --- 1. idle footprint -----------------------------------------------------------------

def bench_idle(tools, args, results):
    window = 60.0 if args.short else 600.0
    warmup = 10.0
    nginx = Nginx(tools.scratch, "nginx-idle", access_log=True)
    home = tools.scratch / "home"
    for sub in ("config", "data", "cache", "runtime"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(home / "runtime", 0o700)
    gui_env = clean_env({"QT_QPA_PLATFORM": "offscreen", "HOME": str(home),
                         "XDG_CONFIG_HOME": str(home / "config"),
                         "XDG_DATA_HOME": str(home / "data"),
                         "XDG_CACHE_HOME": str(home / "cache"),
                         "XDG_RUNTIME_DIR": str(home / "runtime")})
    web_port, token = free_port(), "bench-token"
    subjects = {
        "aimload headless": spawn(tools.aimload_cmd(
            nginx.url, "--headless", "--pacing", "720", "--db", str(tools.scratch / "idle.db")),
            out=tools.scratch / "idle-aimload.out"),
        "aimload window": spawn(tools.aimload_cmd(
            nginx.url, "--pacing", "720", "--db", str(tools.scratch / "idle-window.db"),
            "--web-port", str(web_port), "--web-token", token),
            out=tools.scratch / "idle-window.out", env=gui_env),
        "Locust HttpUser": spawn(tools.locust_cmd("locustfile.py", nginx.url, 1),
                                 out=tools.scratch / "idle-locust.out"),
    }
    # The window starts sending as it opens; POST /api/start (a no-op on a running engine)
    # waits for its status endpoint, so that the window has surely started.
    window_started = False
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not window_started:
        try:
            window_started = http_post(f"http://127.0.0.1:{web_port}/api/start", token)[0] == 200
        except OSError:
            time.sleep(0.2)
    time.sleep(warmup)
    first = nginx.requests()
    first_log = (nginx.dir / "access.log").stat().st_size
    firsts = {name: proc_sample(p.pid) for name, p in subjects.items()}
    samplers = {name: Sampler(p.pid, every=10.0) for name, p in subjects.items()}
    for s in samplers.values():
        s.start()
    log(f"idle: {window:.0f} s window")
    time.sleep(window)
    lasts = {name: proc_sample(p.pid) for name, p in subjects.items() if p.poll() is None}
    rows = {}
    for name, proc in subjects.items():
        samples = [firsts[name], *samplers[name].stop()[1:], *([lasts[name]] if name in lasts else [])]
        alive = proc.poll() is None
        end(proc)
        if not alive or len(samples) < 2:
            rows[name] = {"error": "exited early"}
            continue
        span = samples[-1]["t"] - samples[0]["t"]
        cpu = samples[-1]["cpu_s"] - samples[0]["cpu_s"]
        rows[name] = {
            "window_s": round(span, 1),
            "rss_mb_median": med([s["rss_kb"] for s in samples]) / 1024,
            "rss_mb_max": max(s["rss_kb"] for s in samples) / 1024,
            "anon_mb_median": med([s["anon_kb"] for s in samples]) / 1024,
            "cpu_s_window": cpu,
            "cpu_s_per_hour": cpu * 3600 / span,
            "schedstat_cpu_s_per_hour": (samples[-1]["run_ns"] - samples[0]["run_ns"]) / 1e9 * 3600 / span,
            "wakeups_per_hour": (samples[-1]["switches"] - samples[0]["switches"]) * 3600 / span,
            "threads": samples[-1]["threads"],
        }
    rows["aimload window"]["run_started"] = window_started
    rows["agent requests during window"] = nginx.requests() - first
    with open(nginx.dir / "access.log") as f:
        f.seek(first_log)
        rows["access log during window"] = f.read().splitlines()[:50]
    nginx.stop()
    results["idle"] = rows


# --- 2. start to first request ---------------------------------------------------------

def bench_startup(tools, args, results):
    runs = 3 if args.short else 10
    agent = Agent(tools.scratch, "agent-startup")
    launches = []
    variants = {
        "aimload headless (journal)": lambda i: tools.aimload_cmd(
            agent.url, "--headless", "--cycles", "1", "--db", str(tools.scratch / f"start{i}.db")),
        "aimload headless --no-db": lambda i: tools.aimload_cmd(
            agent.url, "--headless", "--cycles", "1", "--no-db"),
        "Locust HttpUser": lambda i: tools.locust_cmd("locustfile.py", agent.url, 1),
    }
    env = clean_env({"PASSIVE_CYCLES": "1"})
    for i in range(runs):
        for name, make in variants.items():
            time.sleep(0.3)
            stamp = tools.scratch / "exec-time"
            argv = ["/bin/bash", "-c", 'printf %s "$EPOCHREALTIME" > "$0"; exec "$@"',
                    str(stamp), *make(i)]
            proc = spawn(argv, out=tools.scratch / f"startup-{i}.out", env=env)
            rc = wait_bounded(proc, 60)
            launches.append((float(stamp.read_text()), name, rc))
    time.sleep(0.3)
    records = agent.stop()
    rows = {}
    for index, (t_exec, name, rc) in enumerate(launches):
        t_next = launches[index + 1][0] if index + 1 < len(launches) else float("inf")
        mine = [r for r in records if t_exec <= r["wall"] < t_next]
        posts = [r for r in mine if r["method"] == "POST"]
        row = rows.setdefault(name, {"first_request_ms": [], "first_prompt_ms": [], "exit_codes": []})
        row["exit_codes"].append(rc)
        if mine:
            row["first_request_ms"].append((mine[0]["wall"] - t_exec) * 1000)
        if posts:
            row["first_prompt_ms"].append((posts[0]["wall"] - t_exec) * 1000)
    for row in rows.values():
        for key in ("first_request_ms", "first_prompt_ms"):
            row[key + "_median"] = med(row[key])
    results["startup"] = rows

    # exec to exit after one whole cycle, with hyperfine
    if shutil.which("hyperfine"):
        nginx = Nginx(tools.scratch, "nginx-hyperfine")
        export = tools.scratch / "hyperfine.json"
        aim = " ".join(tools.aimload_cmd(nginx.url, "--headless", "--cycles", "1", "--no-db"))
        loc = "PASSIVE_CYCLES=1 " + " ".join(tools.locust_cmd("locustfile.py", nginx.url, 1))
        proc = spawn(["hyperfine", "--warmup", "2", "--runs", str(runs), "--shell=bash",
                      "--export-json", str(export), "-n", "aimload", aim, "-n", "Locust", loc],
                     out=tools.scratch / "hyperfine.out", env=clean_env())
        wait_bounded(proc, 300)
        nginx.stop()
        if export.exists():
            data = json.loads(export.read_text())
            results["startup_hyperfine"] = {
                r["command"]: {"median_ms": r["median"] * 1000, "mean_ms": r["mean"] * 1000,
                               "stddev_ms": r["stddev"] * 1000, "user_s": r["user"],
                               "system_s": r["system"], "runs": len(r["times"])}
                for r in data["results"]}
            results["startup_hyperfine"]["command"] = f"hyperfine --warmup 2 --runs {runs} --shell=bash -n aimload '{aim}' -n Locust '{loc}'"


# --- 3. pacing exactness ---------------------------------------------------------------

def pacing_stats(records, pacing_s, grid):
    """Deviation of each cycle start (Model A's arrival) from t0 + k·pacing.

    grid=True: k is the nearest slot (a generator that skips slots it cannot keep);
    grid=False: k is the cycle's index (a generator that promises every cycle)."""
    starts = [r["mono"] / 1e9 for r in records if r["method"] == "POST" and r["model"] == "a"]
    t0 = starts[0]
    ks = [round((t - t0) / pacing_s) for t in starts] if grid else list(range(len(starts)))
    devs = [(t - (t0 + k * pacing_s)) * 1000 for t, k in zip(starts, ks)]
    absdev = [abs(d) for d in devs]
    fit = slope(ks, starts)
    span_h = (starts[-1] - t0) / 3600
    offset = med(devs)  # the grid's own phase, free of the first cycle's luck
    jitter = [abs(d - offset) for d in devs]
    return {
        "cycles": len(starts),
        "jitter_ms_p99_abs": nearest_rank(jitter, 99),
        "jitter_ms_max_abs": max(jitter),
        "slots": ks[-1] + 1,
        "slots_skipped": ks[-1] + 1 - len(starts),
        "dev_ms_max_abs": max(absdev),
        "dev_ms_p99_abs": nearest_rank(absdev, 99),
        "dev_ms_median": med(devs),
        "dev_ms_last": devs[-1],
        "slope_error_us_per_cycle": (fit - pacing_s) * 1e6,
        "drift_ms_over_run": (fit - pacing_s) * 1000 * ks[-1],
        "run_s": starts[-1] - t0,
        "span_h": span_h,
    }


def client_starts(csv_path):
    """Model A's start times as aimload recorded them (--csv, millisecond resolution)."""
    from datetime import datetime
    starts = []
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            if row["model"] == "A":
                starts.append((int(row["cycle"]), datetime.fromisoformat(
                    row["time"].replace("Z", "+00:00")).timestamp()))
    return [t for _, t in sorted(starts)]


def bench_pacing(tools, args, results):
    cycles = 200 if args.short else 1000
    rows = {}
    rt = ["chrt", "-f", "20"]
    cases = [
        # name, agent delay range, generator, extra options, prefix, cycles
        ("aimload --ab parallel, agent 0–80 ms", "80", "aimload", ["--ab", "parallel"], [], cycles),
        ("aimload sequential, agent 0–80 ms", "80", "aimload", [], [], cycles),
        ("Locust PassiveLoadUser, agent 0–80 ms", "80", "locust", [], [], cycles),
        ("Locust PassiveLoadUser, agent 0–40 ms", "40", "locust", [], [], cycles),
        ("aimload --ab parallel, agent 0–80 ms, both under chrt -f 20", "80", "aimload",
         ["--ab", "parallel"], rt, cycles // 2),
        ("Locust PassiveLoadUser, agent 0–40 ms, both under chrt -f 20", "40", "locust", [], rt,
         cycles // 2),
    ]
    if args.short:
        cases = cases[:3]
    for index, (name, hi, tool, extra, prefix, n) in enumerate(cases):
        agent = Agent(tools.scratch, f"agent-pacing-{index}", "--delay-min-ms", "0",
                      "--delay-max-ms", hi, prefix=prefix)
        csv_prefix = tools.scratch / f"pacing-{index}"
        if tool == "aimload":
            argv = tools.aimload_cmd(agent.url, "--headless", "--pacing", "100ms", "--cycles",
                                     str(n), "--no-db", "--csv", str(csv_prefix),
                                     "--json", f"{csv_prefix}.json", *extra)
            env = clean_env()
        else:
            argv = tools.locust_cmd("locustfile.py", agent.url, 1, "--only-summary")
            env = clean_env({"PASSIVE_PACING": "0.1", "PASSIVE_CYCLES": str(n)})
        log(f"pacing: {name}")
        proc = spawn(prefix + argv, out=tools.scratch / f"pacing-{index}.out", env=env)
        wait_bounded(proc, n * 0.25 + 60)
        time.sleep(0.2)
        records = agent.stop()
        if tool == "aimload":
            row = pacing_stats(records, 0.1, grid=True)
            # the same from aimload's own start times, and the time from there to arrival
            starts = client_starts(f"{csv_prefix}_requests.csv")
            t0 = starts[0]
            ks = [round((t - t0) / 0.1) for t in starts]
            devs = [abs(t - (t0 + k * 0.1)) * 1000 for t, k in zip(starts, ks)]
            row["client_dev_ms_max_abs"] = max(devs)
            row["client_dev_ms_p99_abs"] = nearest_rank(devs, 99)
            # aimload's own account, on its monotonic clock: each scheduled cycle's start
            # after its grid point (to 10 µs, the largest exactly)
            own = json.loads(Path(f"{csv_prefix}.json").read_text())["cycle_starts"]
            row["own_delay"] = own
            arrivals = [r["wall"] for r in records if r["method"] == "POST" and r["model"] == "a"]
            if len(arrivals) == len(starts):
                transit = [(a - s) * 1000 for a, s in zip(arrivals, starts)]
                row["start_to_arrival_ms_median"] = med(transit)
                row["start_to_arrival_ms_p99"] = nearest_rank(transit, 99)
                row["start_to_arrival_ms_max"] = max(transit)
        else:
            row = pacing_stats(records, 0.1, grid=False)
            # on_start's cycle is followed at once by the first task's: count the grid
            # from the first task on, as well
            posts_a = [r for r in records if r["method"] == "POST" and r["model"] == "a"]
            row["gap_on_start_to_first_task_ms"] = (posts_a[1]["mono"] - posts_a[0]["mono"]) / 1e6
            row["from_first_task"] = pacing_stats(
                [r for r in records if r["method"] == "POST"][2:], 0.1, grid=False)
        row["command"] = " ".join(prefix + argv)
        row["agent"] = f"agent.py --delay-min-ms 0 --delay-max-ms {hi}"
        rows[name] = row
    results["pacing"] = rows


# --- 4. throughput and latency ---------------------------------------------------------

def aimload_counts(json_path):
    data = json.loads(Path(json_path).read_text())
    total = data["total"]
    return {"reported_requests": total["requests"] + total.get("cancelled", 0),
            "reported_ok": total["requests"] - total["failures"],
            "cancelled": total.get("cancelled", 0),
            "failures": total["failures"],
            "median_ms": total["latency_ms"]["median"],
            "p99_ms": total["latency_ms"]["percentiles"]["99%"],
            "min_ms": total["latency_ms"]["min"],
            "slots_skipped": data["counts"]["slots_skipped"],
            "cycles": data["counts"]["cycles_completed"]}


def locust_counts(out_path):
    """Locust's final summary on stdout. (Its --csv _stats.csv can miss the last second.)"""
    lines = [l for l in Path(out_path).read_text(errors="replace").splitlines()
             if l.strip().startswith("Aggregated")]
    # the request table: Aggregated  N  F(x%) | avg min max med | req/s fail/s
    table = lines[-2].split("|")
    reqs, fails = table[0].split()[1], table[0].split()[2].split("(")[0]
    avg, low, high, median = table[1].split()
    # the percentile table: Aggregated 50% 66% 75% 80% 90% 95% 98% 99% 99.9% 99.99% 100% N
    pct = lines[-1].split()
    return {"reported_requests": int(reqs), "failures": int(fails),
            "median_ms": float(median), "min_ms": float(low), "p99_ms": float(pct[8])}


def wrk_counts(path):
    text = Path(path).read_text()
    m = re.search(r"(\d+) requests in", text)
    lat = re.search(r"Latency\s+(\S+)", text)
    return {"reported_requests": int(m.group(1)), "wrk_latency_avg": lat.group(1) if lat else None}


def load_run(tools, name, server, tool, users, seconds, tag, extra_aimload=()):
    """One generator against one server for `seconds`; CPU from /usr/bin/time -v."""
    timefile = tools.scratch / f"{tag}.time"
    out = tools.scratch / f"{tag}.out"
    pool = str(HERE / "chat-only.json")
    if tool == "aimload":
        argv = tools.aimload_cmd(server.url, "--headless", "--users", str(users), "--spawn-rate",
                                 str(users), "--pacing", "1ms", "--run-time", f"{seconds}s",
                                 "--no-db", "--no-wait-healthy", "--prompts", pool,
                                 "--json", str(tools.scratch / f"{tag}.json"), *extra_aimload)
    elif tool in ("ChatHttpUser", "ChatFastHttpUser"):
        argv = tools.locust_cmd("locust_throughput.py", server.url, users, "--run-time",
                                f"{seconds}s", "--only-summary", "--csv",
                                str(tools.scratch / tag), user_class=tool)
    else:
        argv = ["wrk", "-t1", f"-c{users}", f"-d{seconds}s", "-s", str(HERE / "post.lua"),
                server.url + "/chat"]
    before = server.requests() if isinstance(server, Nginx) else None
    proc = spawn(["/usr/bin/time", "-v", "-o", str(timefile), *argv], out=out)
    wait_bounded(proc, seconds + 60)
    row = {"command": " ".join(argv), **time_v(timefile)}
    if before is not None:
        row["server_requests"] = server.requests() - before
    if tool == "aimload":
        row.update(aimload_counts(tools.scratch / f"{tag}.json"))
        if out.stat().st_size > 20_000_000:
            out.unlink()  # the per-event log; its tail is in the JSON
    elif tool == "wrk":
        row.update(wrk_counts(out))
    else:
        row.update(locust_counts(out))
    counted = row.get("server_requests", row["reported_requests"])
    row["req_per_s"] = counted / seconds
    row["req_per_cpu_s"] = counted / row["cpu_s"] if row["cpu_s"] else None
    return row


def bench_throughput(tools, args, results):
    seconds, reps = (5, 1) if args.short else (20, 3)
    nginx = Nginx(tools.scratch, "nginx-throughput")
    tools_list = [
        ("aimload, pacing 1 ms", "aimload", ()),
        ("aimload, pacing 20 ms", "aimload", ("--pacing", "20ms")),
        ("Locust HttpUser", "ChatHttpUser", ()),
        ("Locust FastHttpUser", "ChatFastHttpUser", ()),
        ("wrk -t1", "wrk", ()),
    ]
    runs = {name: [] for name, _, _ in tools_list}
    for rep in range(reps):
        for index, (name, tool, extra) in enumerate(tools_list):
            log(f"throughput: {name}, run {rep + 1}/{reps}")
            # a second --pacing in extra overrides the first (the last one wins)
            runs[name].append(load_run(tools, name, nginx, tool, 50, seconds,
                                       f"tp-{index}-{rep}", extra))
            time.sleep(1)
    nginx.stop()
    summary = {}
    for name, rows in runs.items():
        summary[name] = {
            "runs": rows,
            "req_per_s_median": med([r["req_per_s"] for r in rows]),
            "cpu_s_median": med([r["cpu_s"] for r in rows]),
            "req_per_cpu_s_median": med([r["req_per_cpu_s"] for r in rows]),
            "max_rss_mb_median": med([r["max_rss_kb"] for r in rows]) / 1024,
            "median_ms_median": med([r["median_ms"] for r in rows if r.get("median_ms") is not None]),
            "reported_vs_server": [(r["reported_requests"], r.get("server_requests")) for r in rows],
        }
    results["throughput"] = summary


def bench_latency(tools, args, results):
    seconds = 5 if args.short else 20
    users = 200
    rows = {}
    for index, (name, tool, extra) in enumerate([
            ("aimload, pacing 1 ms", "aimload", ()),
            ("aimload, pacing 1 s", "aimload", ("--pacing", "1s")),
            ("Locust FastHttpUser", "ChatFastHttpUser", ())]):
        agent = Agent(tools.scratch, f"agent-latency-{index}", "--delay-ms", "50")
        log(f"latency: {name}")
        row = load_run(tools, name, agent, tool, users, seconds, f"lat-{index}", extra)
        records = agent.stop()
        held = [(r["answered"] - r["mono"]) / 1e6 for r in records
                if r["method"] == "POST" and r["answered"]]
        row["server_requests"] = len([r for r in records if r["method"] == "POST"])
        row["req_per_s"] = row["server_requests"] / seconds
        row["req_per_cpu_s"] = row["server_requests"] / row["cpu_s"]
        row["server_hold_ms_median"] = med(held)
        row["server_hold_ms_p99"] = nearest_rank(held, 99) if held else None
        rows[name] = row
    results["latency"] = rows


# --- 5. long-run memory ----------------------------------------------------------------

def bench_memory(tools, args, results):
    cycles = 500 if args.short else 5000
    users = 20
    nginx = Nginx(tools.scratch, "nginx-memory")
    rows = {}
    cases = [("aimload", tools.aimload_cmd(
        nginx.url, "--headless", "--pacing", "1ms", "--users", str(users), "--spawn-rate",
        str(users), "--cycles", str(cycles), "--no-db", "--no-wait-healthy"), clean_env(), 600)]
    locust_seconds = 30 if args.short else 120
    cases.append(("Locust PassiveLoadUser", tools.locust_cmd(
        "locustfile.py", nginx.url, users, "--only-summary", "--run-time",
        f"{locust_seconds}s"), clean_env({"PASSIVE_PACING": "0.001",
                                          "PASSIVE_CYCLES": str(cycles)}), locust_seconds + 60))
    for name, argv, env, limit in cases:
        log(f"memory: {name}")
        before = nginx.requests()
        proc = spawn(argv, out=None, env=env)
        sampler = Sampler(proc.pid, every=1.0)
        sampler.start()
        wait_bounded(proc, limit)
        samples = sampler.stop()
        requests = nginx.requests() - before
        samples = [s for s in samples if s["rss_kb"] > 1024]  # from after exec on
        rss = [s["rss_kb"] / 1024 for s in samples]
        n = len(rss)
        warm = max(2, n // 5)  # the first fifth of the run (at least 2 s) is warm-up
        span = samples[-1]["t"] - samples[0]["t"]
        after_requests = requests * (samples[-1]["t"] - samples[warm - 1]["t"]) / span
        growth = rss[-1] - rss[warm - 1]
        rows[name] = {
            "command": " ".join(argv),
            "requests": requests,
            "seconds": span,
            "rss_mb_at_warmup_end": rss[warm - 1],
            "rss_mb_last": rss[-1],
            "rss_mb_max": max(rss),
            "growth_after_warmup_mb": max(rss[warm - 1:]) - rss[warm - 1],
            "growth_last_minus_warmup_mb": growth,
            "kb_per_1000_requests_after_warmup": growth * 1024 / (after_requests / 1000),
            "rss_mb_series": [round(x, 2) for x in rss],
        }
    nginx.stop()
    results["memory"] = rows


def bench_valgrind(tools, args, results):
    if not shutil.which("valgrind"):
        results["valgrind"] = {"error": "valgrind not installed"}
        return
    cycles = 100 if args.short else 500
    nginx = Nginx(tools.scratch, "nginx-valgrind")
    logfile = tools.scratch / "valgrind.log"
    argv = ["valgrind", "--leak-check=full", "--num-callers=25", f"--log-file={logfile}",
            *tools.aimload_cmd(nginx.url, "--headless", "--pacing", "1ms", "--cycles",
                               str(cycles), "--no-db", "--no-wait-healthy")]
    log(f"valgrind: {cycles} cycles")
    proc = spawn(argv, out=tools.scratch / "valgrind.out")
    rc = wait_bounded(proc, 900)
    text = logfile.read_text()

    def lost(kind):
        m = re.search(kind + r": ([\d,]+) bytes in ([\d,]+) blocks", text)
        return (int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))) if m else (0, 0)

    nginx.stop()
    results["valgrind"] = {
        "command": " ".join(argv), "exit_code": rc, "cycles": cycles,
        "definitely_lost": lost("definitely lost"), "indirectly_lost": lost("indirectly lost"),
        "possibly_lost": lost("possibly lost"), "still_reachable": lost("still reachable"),
        "errors": re.findall(r"ERROR SUMMARY: .*", text)[-1:] ,
    }


# --- profile (on request) --------------------------------------------------------------

def bench_profile(tools, args, results):
    """perf profiles of aimload in the throughput setting (50 users, nginx), for reading.

    Writes, per pacing: perf-TAG-threads.txt (share per thread), perf-TAG-dso.txt (per
    library), perf-TAG-self.txt (self time per function) and perf-TAG-children.txt
    (time spent in a function and what it called, from DWARF call graphs)."""
    seconds = 10
    nginx = Nginx(tools.scratch, "nginx-profile")
    pool = str(HERE / "chat-only.json")
    rows = {}
    for tag, pacing in (("pacing-1ms", "1ms"), ("pacing-20ms", "20ms")):
        data = tools.scratch / f"perf-{tag}.data"
        argv = ["perf", "record", "-F", "499", "--call-graph", "dwarf,16384", "-o", str(data), "--",
                *tools.aimload_cmd(nginx.url, "--headless", "--users", "50", "--spawn-rate", "50",
                                   "--pacing", pacing, "--run-time", f"{seconds}s", "--no-db",
                                   "--no-wait-healthy", "--prompts", pool)]
        log(f"profile: {tag}")
        proc = spawn(argv, out=None)  # aimload's event log at this rate is tens of MB
        wait_bounded(proc, seconds + 120)
        reports = {
            "threads": ["--no-children", "--sort", "comm", "-g", "none"],
            "dso": ["--no-children", "--sort", "dso", "-g", "none"],
            "self": ["--no-children", "--sort", "dso,symbol", "-g", "none", "--percent-limit", "0.5"],
            "children": ["--children", "--sort", "symbol", "-g", "none", "--percent-limit", "2"],
        }
        for name, options in reports.items():
            with open(tools.scratch / f"perf-{tag}-{name}.txt", "w") as f:
                subprocess.run(["perf", "report", "-i", str(data), "--stdio", *options],
                               stdout=f, stderr=subprocess.DEVNULL, timeout=600)
        data.unlink()
        rows[tag] = {"command": " ".join(argv)}
    nginx.stop()
    results["profile"] = rows


# --- report ----------------------------------------------------------------------------

def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def markdown(results):
    out = []
    if "idle" in results:
        out += ["## Idle footprint", "",
                "| | VmRSS MB (median) | RssAnon MB | CPU-s in window | CPU-s per idle hour | same from /proc/PID/task/*/sched | main-thread wakeups per hour | threads |",
                "|---|---|---|---|---|---|---|---|"]
        for name, r in results["idle"].items():
            if isinstance(r, dict) and "rss_mb_median" in r:
                out.append(f"| {name} | {fmt(r['rss_mb_median'])} | {fmt(r['anon_mb_median'])} | "
                           f"{fmt(r['cpu_s_window'], 2)} | {fmt(r['cpu_s_per_hour'], 2)} | "
                           f"{fmt(r['schedstat_cpu_s_per_hour'], 3)} | "
                           f"{fmt(round(r['wakeups_per_hour']))} | {r['threads']} |")
        out.append("")
    if "startup" in results:
        out += ["## Start to first request", "",
                "| | first request ms (median) | first prompt ms (median) | runs |", "|---|---|---|---|"]
        for name, r in results["startup"].items():
            out.append(f"| {name} | {fmt(r['first_request_ms_median'])} | "
                       f"{fmt(r['first_prompt_ms_median'])} | {len(r['first_request_ms'])} |")
        out.append("")
    if "startup_hyperfine" in results:
        out += ["hyperfine, exec to exit after one cycle:", "", "| | median ms | mean ± sd ms |",
                "|---|---|---|"]
        for name, r in results["startup_hyperfine"].items():
            if isinstance(r, dict):
                out.append(f"| {name} | {fmt(r['median_ms'])} | {fmt(r['mean_ms'])} ± {fmt(r['stddev_ms'])} |")
        out.append("")
    if "pacing" in results:
        out += ["## Pacing (deviation of each cycle's arrival at the agent from t0 + k·100 ms)", "",
                "| | cycles | slots skipped | median dev ms | p99 abs dev ms | max abs dev ms | p99 abs jitter ms | max abs jitter ms | drift ms over run |",
                "|---|---|---|---|---|---|---|---|---|"]
        for name, r in results["pacing"].items():
            out.append(f"| {name} | {r['cycles']} | {r['slots_skipped']} | {fmt(r['dev_ms_median'], 2)} | "
                       f"{fmt(r['dev_ms_p99_abs'], 2)} | {fmt(r['dev_ms_max_abs'], 2)} | "
                       f"{fmt(r['jitter_ms_p99_abs'], 2)} | {fmt(r['jitter_ms_max_abs'], 2)} | "
                       f"{fmt(r['drift_ms_over_run'], 2)} |")
            if "own_delay" in r:
                d = r["own_delay"]
                out.append(f"| {name}: own start delay after the grid point, ms | {d['scheduled']} "
                           f"scheduled | median {fmt(d['delay_ms']['median'], 2)} | "
                           f"p99 {fmt(d['delay_ms']['p99'], 2)} | max {fmt(d['delay_ms']['max'], 2)} | "
                           f"{d['later_than_2_ms']} later than 2 ms | | | |")
            if "from_first_task" in r:
                f = r["from_first_task"]
                out.append(f"| {name}, from the first task | {f['cycles']} | – | {fmt(f['dev_ms_median'], 2)} | "
                           f"{fmt(f['dev_ms_p99_abs'], 2)} | {fmt(f['dev_ms_max_abs'], 2)} | "
                           f"{fmt(f['jitter_ms_p99_abs'], 2)} | {fmt(f['jitter_ms_max_abs'], 2)} | "
                           f"{fmt(f['drift_ms_over_run'], 2)} |")
        out.append("")
    if "throughput" in results:
        out += ["## Throughput, 50 users, nginx (medians of the runs)", "",
                "| | req/s | CPU-s | req per CPU-s | max RSS MB | median ms (own) | reported / server-counted |",
                "|---|---|---|---|---|---|---|"]
        for name, r in results["throughput"].items():
            counts = ", ".join(f"{a}/{b}" for a, b in r["reported_vs_server"])
            out.append(f"| {name} | {fmt(r['req_per_s_median'], 0)} | {fmt(r['cpu_s_median'], 2)} | "
                       f"{fmt(r['req_per_cpu_s_median'], 0)} | {fmt(r['max_rss_mb_median'])} | "
                       f"{fmt(r['median_ms_median'], 2)} | {counts} |")
        out.append("")
    if "latency" in results:
        out += ["## 200 users, agent answering in 50 ms", "",
                "| | req/s | CPU-s | own median ms | own min ms | server hold median ms |",
                "|---|---|---|---|---|---|"]
        for name, r in results["latency"].items():
            out.append(f"| {name} | {fmt(r['req_per_s'], 0)} | {fmt(r['cpu_s'], 2)} | "
                       f"{fmt(r.get('median_ms'), 2)} | {fmt(r.get('min_ms'), 2)} | "
                       f"{fmt(r['server_hold_ms_median'], 2)} |")
        out.append("")
    if "memory" in results:
        out += ["## Long-run memory", "",
                "| | requests | s | RSS MB after warm-up | RSS MB last | growth MB | KB per 1000 requests |",
                "|---|---|---|---|---|---|---|"]
        for name, r in results["memory"].items():
            out.append(f"| {name} | {fmt(r['requests'])} | {fmt(r['seconds'], 0)} | {fmt(r['rss_mb_at_warmup_end'])} | "
                       f"{fmt(r['rss_mb_last'])} | {fmt(r['growth_last_minus_warmup_mb'], 2)} | "
                       f"{fmt(r['kb_per_1000_requests_after_warmup'], 1)} |")
        out.append("")
    if "valgrind" in results:
        v = results["valgrind"]
        out += ["## valgrind", "", "```", json.dumps(v, indent=1), "```", ""]
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--short", action="store_true", help="shorter runs (about 4 minutes)")
    parser.add_argument("--aimload", default=os.environ.get(
        "AIMLOAD_BIN", str(ROOT / "build" / "src" / "app" / "aimload")))
    parser.add_argument("--out", help="results folder (default: a new one under /tmp)")
    args = parser.parse_args()

    known = ["idle", "startup", "pacing", "throughput", "latency", "memory", "valgrind"]
    names = args.names or known
    for name in names:
        if name not in known + ["profile"]:
            parser.error(f"unknown benchmark {name}")
    if not os.access(args.aimload, os.X_OK):
        parser.error(f"no aimload binary at {args.aimload} (use --aimload PATH)")
    out = Path(args.out or tempfile.mkdtemp(prefix="aimload-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    tools = Tools(Path(args.aimload).resolve(), out)
    results = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "short": args.short,
               "aimload": str(tools.aimload), "cpus": os.cpu_count(),
               "loadavg_start": os.getloadavg()}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        idle_thread = None
        if "idle" in names:
            idle_thread = threading.Thread(target=bench_idle, args=(tools, args, results))
            idle_thread.start()
        for name in names:
            if name == "idle":
                continue
            log(f"== {name}")
            globals()[f"bench_{name}"](tools, args, results)
            (out / "results.json").write_text(json.dumps(results, indent=1, default=str))
        if idle_thread:
            log("== waiting for the idle window to end")
            idle_thread.join()
    finally:
        end_all()
    results["loadavg_end"] = os.getloadavg()
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str))
    (out / "results.md").write_text(markdown(results))
    print(markdown(results))
    log(f"results in {out}")


if __name__ == "__main__":
    main()

"""Fault benchmark (issue 17): bounded citizen load while PostgreSQL, Redis, a
gunicorn worker and the Celery worker are each killed and restarted.

Everything runs privately: a PostgreSQL cluster (tests/ops/pgcluster.py) with
the project migrated, the Kubu Raya boundaries and the categories; a
redis-server saving an RDB file (cache, throttles, tiles, broker); gunicorn
with deploy/gunicorn.conf.py (2 workers x 4 threads); a Celery worker with beat
(outbox sweep every 5 s). Citizens submit reports without a photo, each with
its own UUID and a unique description and its phone's device secret (as the
resident form sends it: a retry proves it is the same phone), and retry the
same UUID (1 s apart, up to 60 s) until they get 200/201. Per fault it prints:
acknowledged, stored, lost (acknowledged but not stored), duplicates, agency
notifications delivered / due, client-visible answers that were not 200/201
(by status), 500s, and the recovery time (first accepted submission after the
dependency came back, and when that request was sent).

    .venv/bin/python bench/faults.py [--clients 6] [--seconds 8]
"""
import argparse
import collections
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from _common import ROOT, free_port, machine

sys.path.insert(0, str(ROOT))
from tests.ops.pgcluster import PrivateCluster  # noqa: E402
from tests.ops.redisserver import PrivateRedis  # noqa: E402

POINT = {"lon": 109.3724, "lat": -0.0715}  # inside desa Sungai Raya
CATEGORY = "flood"  # P0, no photo required, routed to an agency with an e-mail


def run(args, env, **kw):
    out = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed:\n{out.stderr[-3000:]}")
    return out


class Stack:
    def __init__(self):
        self.pg = PrivateCluster().init()
        self.redis = PrivateRedis(persist=True)
        self.tmp = Path(tempfile.mkdtemp(prefix="kr-faults-"))
        (self.tmp / "metrics").mkdir()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.gunicorn = self.celery = None

    def env(self) -> dict:
        return {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
                "DATABASE_URL": self.pg.url("kr", "postgis"), "REDIS_URL": self.redis.url,
                "CELERY_BROKER_URL": self.redis.url, "DB_CONNECT_TIMEOUT": "2", "MEDIA_ROOT": str(self.tmp / "media"),
                "TILES_EDGE_DIR": "", "OUTBOX_SWEEP_SECONDS": "5", "OPS_HEARTBEAT_SECONDS": "5",
                "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4",
                "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / "metrics"), "LOG_LEVEL": "ERROR",
                "GUNICORN_LOGLEVEL": "error", "THROTTLE_REPORT_SUBMIT": "100000/hour",
                # production's default (the test settings read the epoch at every hit)
                "TILES_CACHE_EPOCH_REUSE_SECONDS": "1"}

    def setup(self):
        self.pg.start()
        subprocess.run(["psql", self.pg.url("postgres"), "-qc", "create database kr"], check=True,
                       capture_output=True)
        subprocess.run(["psql", self.pg.url("kr"), "-qc", "create extension postgis"], check=True, capture_output=True)
        self.redis.start()
        env = self.env()
        py = sys.executable
        run([py, "manage.py", "migrate", "-v", "0"], env, timeout=900)
        run([py, "-c", "import django; django.setup(); from geo.importers import kubu_raya; kubu_raya.run(commit=True); "
             "from reports.services import categories_seed; categories_seed()"], env, timeout=900)

    def start_gunicorn(self):
        self.gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                                          "config.wsgi"], cwd=ROOT, env=self.env(),
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait_http()

    def wait_http(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.base}/healthz", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def start_celery(self):
        self.celery = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "-B",
                                        "--pool=solo", "--loglevel=ERROR", "-s", str(self.tmp / "beat")],
                                       cwd=ROOT, env=self.env(), stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.gunicorn.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def sql(self, query: str) -> str:
        return subprocess.run(["psql", self.pg.url("kr"), "-qAtc", query], capture_output=True, text=True,
                              check=True).stdout.strip()

    def close(self):
        for proc in (self.gunicorn, self.celery):
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.redis.close()
        self.pg.destroy()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Citizens:
    """Bounded load: `n` threads, one report at a time each, retried with the same UUID."""

    def __init__(self, base: str, n: int, tag: str):
        self.base, self.n, self.tag = base, n, tag
        self.stop = threading.Event()
        self.acknowledged: list[str] = []
        self.statuses = collections.Counter()
        self.accepted_at: list[tuple[float, float]] = []  # (answered, sent)
        self.durations: list[float] = []
        self.lock = threading.Lock()

    def citizen(self):
        session = requests.Session()
        device_secret = uuid.uuid4().hex  # one phone per citizen
        while not self.stop.is_set():
            report_id = str(uuid.uuid4())
            body = {"id": report_id, "category": CATEGORY, "description": f"{self.tag} {report_id}",
                    "device_secret": device_secret, **POINT}
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    response = session.post(f"{self.base}/api/v1/reports/", json=body, timeout=15)
                    status = response.status_code
                except requests.RequestException:
                    status = "conn"
                with self.lock:
                    self.statuses[status] += 1
                    self.durations.append(time.monotonic() - started)
                if status in (200, 201):
                    with self.lock:
                        self.acknowledged.append(report_id)
                        self.accepted_at.append((time.monotonic(), started))
                    break
                time.sleep(1.0)

    def __enter__(self):
        self.threads = [threading.Thread(target=self.citizen, daemon=True) for _ in range(self.n)]
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=90)


def fault_phase(stack: Stack, name: str, inject, restore, *, clients: int, seconds: float) -> dict:
    tag = f"bench-{name}-{uuid.uuid4().hex[:6]}"
    with Citizens(stack.base, clients, tag) as load:
        time.sleep(seconds)
        inject()
        time.sleep(seconds)
        back = time.monotonic()
        restore()
        time.sleep(seconds)
    # Recovery: the first acceptance after the dependency came back, and when
    # that request was sent (on a loaded machine an answer takes seconds of its own).
    recovered = sorted((done - back, sent - back) for done, sent in load.accepted_at if done >= back)
    # Wait for the outbox to drain (the worker's sweep), at most 90 s.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if stack.sql(f"select count(*) from outbox_message m join reports_report r on m.payload->>'report_id' = "
                     f"r.id::text where r.description like '{tag} %' and m.delivered_at is null") == "0":
            break
        time.sleep(1)
    ids = set(load.acknowledged)
    stored_ids = set(stack.sql(f"select id from reports_report where description like '{tag} %'").split())
    stored = len(stored_ids)
    duplicates = int(stack.sql(f"select count(*) - count(distinct description) from reports_report "
                               f"where description like '{tag} %'"))
    due = int(stack.sql(f"select count(*) from outbox_message m join reports_report r on m.payload->>'report_id' = "
                        f"r.id::text where r.description like '{tag} %'"))
    delivered = int(stack.sql(f"select count(*) from outbox_message m join reports_report r on "
                              f"m.payload->>'report_id' = r.id::text where r.description like '{tag} %' "
                              f"and m.delivered_at is not null"))
    errors = {str(k): v for k, v in load.statuses.items() if k not in (200, 201)}
    # "lost": acknowledged but not stored. A stored report that was never
    # acknowledged is one whose citizen gave up (60 s) or was still retrying
    # when the load stopped: stored, not lost.
    return {"fault": name, "acknowledged": len(ids), "stored": stored, "lost": len(ids - stored_ids),
            "duplicates": duplicates, "notified": f"{delivered}/{due}", "errors": errors,
            "500s": load.statuses.get(500, 0), "recovery_s": (f"{recovered[0][0]:.1f} (sent {recovered[0][1]:+.1f})" if recovered else None),
            "p50_s": round(statistics.median(load.durations), 2) if load.durations else None,
            "max_s": round(max(load.durations), 1) if load.durations else None}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=8.0, help="before, during and after each fault")
    opts = parser.parse_args()
    load_at_start = os.getloadavg()[0]
    stack = Stack()
    try:
        print("setting up a private PostgreSQL, Redis, gunicorn and Celery ...", flush=True)
        stack.setup()
        stack.start_gunicorn()
        stack.start_celery()

        def kill_worker():
            pids = stack.worker_pids()
            if pids:
                os.kill(pids[0], signal.SIGKILL)

        def kill_celery():
            stack.celery.send_signal(signal.SIGKILL)
            stack.celery.wait()

        phases = [
            ("postgresql", stack.pg.stop, stack.pg.start),
            ("redis", lambda: (stack.redis.save(), stack.redis.kill()), stack.redis.start),
            ("gunicorn worker", kill_worker, lambda: None),
            ("celery worker", kill_celery, stack.start_celery),
        ]
        rows = [fault_phase(stack, name, inject, restore, clients=opts.clients, seconds=opts.seconds)
                for name, inject, restore in phases]
    finally:
        stack.close()
    print(f"\nfaults.py: {opts.clients} citizens, {opts.seconds:g} s before / during / after each fault; {machine()}; "
          f"load average {os.getloadavg()[0]:.1f} at the end (started at {load_at_start:.1f})")
    print("| fault | acknowledged | stored | lost | duplicates | notifications delivered | "
          "client-visible non-2xx | 500s | recovery (s) (its request sent at) | answer p50 / max (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(r["errors"].items())) or "-"
        print(f"| {r['fault']} | {r['acknowledged']} | {r['stored']} | {r['lost']} | {r['duplicates']} | "
              f"{r['notified']} | {errors} | {r['500s']} | {r['recovery_s']} | {r['p50_s']} / {r['max_s']} |")


if __name__ == "__main__":
    main()

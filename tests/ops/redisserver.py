"""A private redis-server on a free port, for tests that stop or kill Redis
(never the shared one on 6379)."""
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time

from .pgcluster import free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class PrivateRedis:
    def __init__(self, port: int | None = None, *, persist: bool = False):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="kr-redis-")
        self.persist = persist
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "PrivateRedis":
        # No persistence unless asked: a killed server comes back empty. With
        # persist, it reloads the RDB file of its last SAVE (writes after it are lost).
        self.proc = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "3600 1" if self.persist else "", "--appendonly", "no",
                                      "--dir", self.dir, "--dbfilename", "dump.rdb"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.05)

    def save(self) -> None:
        import redis

        redis.Redis.from_url(self.url).save()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def freeze(self) -> None:
        self.proc.send_signal(19)  # SIGSTOP: connections hang instead of failing

    def thaw(self) -> None:
        self.proc.send_signal(18)  # SIGCONT

    def close(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.thaw()
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def private_redis():
    """Yields the URL of a fresh redis-server; kills it on exit."""
    server = PrivateRedis().start()
    try:
        yield server.url
    finally:
        server.close()

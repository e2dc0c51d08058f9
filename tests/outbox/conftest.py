"""Real parts for the outbox's fault tests: a Redis broker the test starts, stops and
restarts on its own port, an SMTP server on loopback, and Celery worker processes."""

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from config.celery import app as celery_app
from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float, what: str, step: float = 0.1) -> float:
    """Poll `condition` until it is true; returns the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(step)
    return time.monotonic() - started


class RedisServer:
    """A throwaway redis-server (no persistence) that the test can kill and start again."""

    def __init__(self, binary: str, port: int) -> None:
        self.binary = binary
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.answers, 10, "redis-server started")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port)


@pytest.fixture
def redis_server():
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        skip_or_fail("REQUIRE_REDIS", "needs redis-server: apt-get install -y redis-server")
    server = RedisServer(binary, free_port())
    server.start()
    yield server
    server.stop()


def _reset_producer_pools() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(redis_server, settings):
    """The site's Celery app sends its tasks to `redis_server` instead of running them inline
    (as production does with CELERY_BROKER_URL)."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = redis_server.url, False
    _reset_producer_pools()
    yield redis_server
    conf.broker_url, conf.task_always_eager = saved
    _reset_producer_pools()


class SmtpSink:
    """Accepts every message, or refuses each with `answer`; while `stalling`, holds a
    message's DATA without answering, the way a very slow mail server does."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.answer = ""  # e.g. "451 4.3.0 Busy": refuse every message with this reply
        self.stalling = False
        self.stalled = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.answer:
            return self.answer
        if self.stalling:
            self.stalled.set()
            while self.stalling:
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"  # the client is gone by now anyway
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        return sorted(rcpt for rcpts, _ in self.messages for rcpt in rcpts)


@pytest.fixture
def smtp_server():
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port  # type: ignore[attr-defined]
    yield sink
    sink.stalling = False
    controller.stop()


@pytest.fixture
def smtp_settings(smtp_server, settings):
    """This process sends through `smtp_server` too."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    return smtp_server


def test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # type: ignore[attr-defined]


class Workers:
    """Celery workers in their own processes, on the test's broker, database and SMTP server,
    with production settings."""

    def __init__(self, tmp_path: Path, broker_url: str, smtp_port: int) -> None:
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "worker-test",
            "DEBUG": "0",
            "REDIS_URL": "",
            "CELERY_BROKER_URL": broker_url,
            "DATABASE_URL": test_database_url(),
            "CONN_MAX_AGE": "0",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}?timeout=30",
            "LOG_LEVEL": "INFO",
        }
        self.processes: list[subprocess.Popen] = []

    def start(self, **env: str) -> subprocess.Popen:
        log = open(self.tmp_path / f"worker-{len(self.processes)}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-c", "1",
             "--pool", "solo", "-l", "info", "--without-mingle", "--without-gossip",
             "--without-heartbeat"],
            cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        process.log = log  # type: ignore[attr-defined]
        self.processes.append(process)
        return process

    def log(self, process: subprocess.Popen) -> str:
        return Path(process.log.name).read_text()  # type: ignore[attr-defined]

    def kill(self, process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                self.kill(process)  # nothing of theirs is needed after the test
            process.log.close()  # type: ignore[attr-defined]


@pytest.fixture
def workers(tmp_path, broker, smtp_server, transactional_db):
    pool = Workers(tmp_path, broker.url, smtp_server.port)
    yield pool
    pool.stop_all()

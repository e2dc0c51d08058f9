"""The production smoke test (.ci/run; issue 27, point 4).

Runs `make serve` (collectstatic, migrate, then the Procfile's gunicorn, Celery worker and
beat) with DEBUG=0 against PostgreSQL, Redis and an S3 server on loopback, then, over HTTP:

1. waits for /healthz to say "ok" with every check true, which needs beat to have sent its
   heartbeat and a worker to have run it;
2. fetches the home page and, signed in through the real sign-in form, the dashboard;
3. has a lesson's audio (a private object in the bucket) redirect to a signed link that
   answers a byte range;
4. signs up for the newsletter, whose confirmation email a worker sends (to a file backend).

Stops every process it started and drops its database, also when a step fails; exits non-zero
on any failure. About two minutes (beat's first heartbeat waits for the next whole minute).
`.venv/bin/python scripts/smoke.py` runs it by hand; it needs PostgreSQL and Redis on loopback,
as .ci/run provides: SMOKE_POSTGRES (postgres://postgres@127.0.0.1:5432; its database
htw_smoke is created and dropped) and SMOKE_REDIS (redis://127.0.0.1:6379/14, flushed).
"""

import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
POSTGRES = os.environ.get("SMOKE_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("SMOKE_REDIS", "redis://127.0.0.1:6379/14")
DATABASE = "htw_smoke"
BUCKET = "htw-smoke"
EMAIL = "smoke-learner@example.com"
PASSWORD = "correct horse battery"  # noqa: S105 - the smoke test's own throwaway account
READER = "smoke-reader@example.com"

# Run by `manage.py shell` in the production environment: a verified learner enrolled in a
# course with a lesson whose audio is stored in the bucket. Prints the lesson's audio path.
SETUP = f"""
from django.core.files.base import ContentFile
from django.urls import reverse
from lessons.demo import demo_audio
from tests import factories
learner = factories.make_user({EMAIL!r}, password={PASSWORD!r}, display_name="Sam Smoke")
course = factories.make_course(1, title="How Therapy Works", slug="how-therapy-works")
factories.enrol(learner, factories.make_cohort(course))
lesson = factories.make_lesson(course, video_url="")
lesson.podcast_file.save("smoke.wav", ContentFile(demo_audio()))
kwargs = {{"course_slug": course.slug, "slug": lesson.slug, "kind": "audio"}}
print("AUDIO", reverse("lessons:media", kwargs=kwargs))
"""


class SmokeFailure(Exception):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def psql(sql: str) -> None:
    subprocess.run(  # noqa: S603
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", f"{POSTGRES}/postgres", "-c", sql],  # noqa: S607
        check=True,
    )


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


class Browser:
    """Cookies and CSRF like a browser; redirects are returned, not followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, path: str, data: dict | None = None, **headers: str):
        url = path if path.startswith("http") else self.base + path
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        if data is not None:
            headers["Referer"] = url
        request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def csrf(self, path: str) -> str:
        status, _, body = self.request(path)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or not match:
            raise SmokeFailure(f"{path}: {status}, no CSRF token in the form")
        return match.group(1).decode()


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)
    print(f"ok  {message}", flush=True)


class Smoke:
    def __init__(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="htw-smoke-"))
        self.processes: list[subprocess.Popen] = []
        self.web_port, self.s3_port = free_port(), free_port()
        self.mail = self.work / "mail"
        self.env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": f"http://127.0.0.1:{self.web_port}",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "SECURE_HSTS_SECONDS": "0",
            "DATABASE_URL": f"{POSTGRES}/{DATABASE}",
            "REDIS_URL": REDIS,
            "CELERY_BROKER_URL": "",
            "EMAIL_URL": f"file://{self.mail}",
            "FILE_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{self.s3_port}",
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "htw-test-access-key",
            "AWS_SECRET_ACCESS_KEY": "htw-test-secret-key",
            "AWS_S3_ADDRESSING_STYLE": "path",
            "HOST": "127.0.0.1",
            "PORT": str(self.web_port),
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "4",
            "WORKER_CONCURRENCY": "1",
            "SENTRY_DSN": "",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)

    def start(self, name: str, command: list[str]) -> None:
        log = (self.work / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped whole, children too
        )  # fmt: skip
        process.name = name  # type: ignore[attr-defined]
        self.processes.append(process)

    def wait_for(self, what: str, seconds: float, check) -> object:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + seconds
        last: object = None
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise SmokeFailure(f"{process.name} exited with {process.returncode}")  # type: ignore[attr-defined]
            try:
                last = check()
                if last:
                    return last
            except OSError as exc:
                last = exc
            time.sleep(1)
        raise SmokeFailure(f"{what}: not within {seconds:.0f} s (last: {last!r})")

    def run(self) -> None:
        psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        psql(f"CREATE DATABASE {DATABASE}")
        subprocess.run(["redis-cli", "-u", REDIS, "FLUSHDB"], check=True, capture_output=True)  # noqa: S603, S607
        self.start(
            "s3", [PYTHON, "-m", "tests.s3server", "--port", str(self.s3_port), "--bucket", BUCKET]
        )
        self.wait_for("the S3 server", 30, lambda: b"bucket" in (self.work / "s3.log").read_bytes())
        self.start("serve", ["make", "--no-print-directory", "serve"])
        base = f"http://127.0.0.1:{self.web_port}"

        def healthy() -> dict | None:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:  # noqa: S310
                report = json.loads(response.read())
            return report if report["status"] == "ok" and all(report["checks"].values()) else None

        report = self.wait_for("/healthz ok (beat's heartbeat run by a worker)", 150, healthy)
        expect(set(report["checks"]) == {"database", "redis", "workers"}, f"/healthz {report}")

        setup = subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", "shell", "-c", SETUP],
            cwd=ROOT, env=self.env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if setup.returncode:
            raise SmokeFailure(f"creating the learner failed:\n{setup.stderr}")
        audio = re.search(r"^AUDIO (\S+)$", setup.stdout, re.MULTILINE).group(1)  # type: ignore[union-attr]

        visitor = Browser(base)
        status, _, body = visitor.request("/")
        expect(status == 200 and b"How Therapy Works" in body, f"home page {status}")
        status, _, missing = visitor.request("/no-such-page/")
        expect(
            status == 404 and b"URLconf" not in missing, "a missing page is a plain 404 (DEBUG=0)"
        )
        stylesheet = re.search(rb'href="(/static/css/site\.[0-9a-f]+\.css)"', body)
        expect(stylesheet is not None, "the home page links its hashed stylesheet")
        status, headers, _ = visitor.request(stylesheet.group(1).decode())  # type: ignore[union-attr]
        expect(status == 200 and "immutable" in headers.get("Cache-Control", ""), "static files")

        learner = Browser(base)
        token = learner.csrf("/accounts/login/")
        status, headers, _ = learner.request(
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "login": EMAIL, "password": PASSWORD},
        )
        expect(status == 302, f"sign-in redirects ({status})")
        status, _, body = learner.request("/dashboard/")
        expect(status == 200 and b"Sam Smoke" in body, f"signed-in dashboard {status}")

        status, headers, _ = learner.request(audio)
        link = headers.get("Location", "")
        expect(status == 302 and "X-Amz-Signature" in link, f"lesson audio redirects ({status})")
        status, headers, body = learner.request(link, Range="bytes=0-3")
        expect(status == 206 and body == b"RIFF", f"the bucket answers a range ({status})")

        reader = Browser(base)
        token = reader.csrf("/newsletter/signup/")
        status, _, _ = reader.request(
            "/newsletter/signup/",
            {"csrfmiddlewaretoken": token, "email": READER, "name": "Rita Reader"},
        )
        expect(status == 302, f"newsletter sign-up ({status})")

        def mailed() -> bool:
            return any(READER in p.read_text() for p in self.mail.glob("*.log"))

        self.wait_for("the confirmation email, sent by a worker", 60, mailed)
        expect(True, "a worker sent the confirmation email")

    def stop(self) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            # Anything of its group still alive (gunicorn's or Celery's children).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        try:
            psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        except subprocess.CalledProcessError:
            print("could not drop the smoke database", file=sys.stderr)

    def logs(self) -> None:
        for log in sorted(self.work.glob("*.log")):
            print(f"----- {log.name} (last 60 lines)", file=sys.stderr)
            lines = log.read_text(errors="replace").splitlines()[-60:]
            print("\n".join(lines), file=sys.stderr)


def main() -> int:
    smoke = Smoke()
    try:
        smoke.run()
    except (SmokeFailure, subprocess.CalledProcessError) as exc:
        print(f"SMOKE TEST FAILED: {exc}", file=sys.stderr)
        smoke.logs()
        return 1
    finally:
        smoke.stop()
        shutil.rmtree(smoke.work, ignore_errors=True)
    print("Smoke test passed: gunicorn, a Celery worker and beat with DEBUG=0.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

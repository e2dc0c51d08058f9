"""A real S3-compatible server on loopback for the media storage tests and the smoke test.

moto's server speaks the S3 API over HTTP; it does not check signatures, so on its own it
would serve a private object to anyone and honour a signed link forever. `PrivateBucketRules`
adds the two refusals of a real private bucket that the site relies on: a request that is
neither signed (Authorization header) nor a signed link is 403 AccessDenied, and a signed link
past its X-Amz-Date + X-Amz-Expires is 403 "Request has expired". Time is read from
`time.time()`, so time-machine moves the server's clock too.

    python -m tests.s3server --port 9000 --bucket htw-media   # for scripts/smoke.sh
"""

import argparse
import datetime as dt
import signal
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

ACCESS_KEY = "htw-test-access-key"
SECRET_KEY = "htw-test-secret-key"
REGION = "us-east-1"


def _denied(start_response: Callable, message: str) -> list[bytes]:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>AccessDenied</Code><Message>{message}</Message></Error>"
    ).encode()
    start_response(
        "403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
    )
    return [body]


class PrivateBucketRules:
    """WSGI middleware: what a private bucket refuses that moto's server would serve."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            return self.app(environ, start_response)
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if "X-Amz-Signature" in query:
            try:
                signed_at = dt.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
                lifetime = int(query["X-Amz-Expires"][0])
            except (KeyError, ValueError):
                return _denied(start_response, "Query-string authentication requires X-Amz-Date")
            expires = signed_at.replace(tzinfo=dt.UTC).timestamp() + lifetime
            if time.time() > expires:
                return _denied(start_response, "Request has expired")
        elif "HTTP_AUTHORIZATION" not in environ:
            return _denied(start_response, "Access Denied")
        return self.app(environ, start_response)


class S3Server(ThreadedMotoServer):
    """moto's threaded server behind PrivateBucketRules; port 0 picks a free one."""

    def _server_entry(self) -> None:
        app = PrivateBucketRules(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()

    @property
    def endpoint(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"


def client(endpoint: str) -> Any:
    """A boto3 S3 client for the server (to create buckets and look at objects)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--bucket", default="htw-media")
    args = parser.parse_args()
    server = S3Server(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    client(server.endpoint).create_bucket(Bucket=args.bucket)
    print(f"S3 server at {server.endpoint}, bucket {args.bucket}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()

"""The HTTP server: a threading ``http.server`` that checks faults, rate limits and auth, then answers from
:mod:`routes`; and :func:`serve`, what ``c360 zendesk-server`` runs.

Rate limits as Zendesk documents them: an account-wide limit per minute (700 on the Enterprise plan; 200 to
2500 by plan) and, far stricter, 10 requests per minute to the incremental export endpoints. Either answers
429 with ``Retry-After`` (seconds until a request leaves the rolling window) once used up.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from samples.zendesk_server.auth import (
    OAUTH_TOKEN_ENV,
    TOKEN_ENV,
    authenticated,
    oauth_token_from_settings,
    token_from_settings,
)
from samples.zendesk_server.data import Store
from samples.zendesk_server.routes import INCREMENTAL_MAX_PER_PAGE, ROUTES, BadRequest

log = logging.getLogger(__name__)

#: Zendesk's documented limits: the account limit of the Enterprise plan, and the incremental exports' own.
ACCOUNT_RATE_LIMIT = 700
INCREMENTAL_RATE_LIMIT = 10
INCREMENTAL_PREFIX = "/api/v2/incremental/"


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message names the setting to fix."""


class RateLimiter:
    """At most `limit` requests in any rolling window of `window` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> tuple[bool, int, int]:
        """(allowed, remaining, seconds until the oldest request in the window expires)."""
        now = time.monotonic()
        with self._lock:
            while self._times and self._times[0] <= now - self.window:
                self._times.popleft()
            allowed = len(self._times) < self.limit
            if allowed:
                self._times.append(now)
            reset = self._times[0] + self.window - now if self._times else self.window
            return allowed, self.limit - len(self._times), max(1, math.ceil(reset))


# --- the server ------------------------------------------------------------------------------------------


class ZendeskServer:
    """A Zendesk-compatible API over a ``support/`` folder, served from a background thread.

    Use as a context manager (``with ZendeskServer(path, api_token="t") as server: server.url``) or call
    :meth:`start` / :meth:`stop`. ``port=0`` picks a free port. Tests can inject faults with
    :meth:`fail_next` and inspect :attr:`requests`, a list of ``(method, path+query, status)``.
    """

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        api_token: str | None = None,
        rate_limit: int = ACCOUNT_RATE_LIMIT,
        rate_window_seconds: float = 60.0,
        page_size: int = 1000,
        oauth_token: str | None = None,
        incremental_rate_limit: int = INCREMENTAL_RATE_LIMIT,
    ) -> None:
        data_dir = Path(data_dir)
        if not data_dir.is_dir():
            raise ConfigError(
                f"data folder {data_dir} does not exist: point --data-dir at the support/ folder "
                "that `c360 generate` wrote (e.g. data/sample/support)"
            )
        if api_token is None and oauth_token is None:
            api_token, oauth_token = token_from_settings(), oauth_token_from_settings()
        if not api_token and not oauth_token:
            raise ConfigError(
                f"no token: set {TOKEN_ENV} (or sources.support.api_token in .dlt/secrets.toml) and/or "
                f"{OAUTH_TOKEN_ENV}; clients must send the same token (API token as Basic "
                "{email}/token:{token}, OAuth token as Bearer)"
            )
        if rate_limit < 1 or incremental_rate_limit < 1:
            raise ConfigError(f"rate limits must be at least 1, got {rate_limit} and {incremental_rate_limit}")
        if not 1 <= page_size <= INCREMENTAL_MAX_PER_PAGE:
            raise ConfigError(f"page_size must be between 1 and {INCREMENTAL_MAX_PER_PAGE}, got {page_size}")
        self.data_dir = data_dir
        self.page_size = page_size
        self._token = api_token
        self._oauth_token = oauth_token
        self._store = Store(data_dir)
        self._limiter = RateLimiter(rate_limit, rate_window_seconds)
        self._incremental_limiter = RateLimiter(incremental_rate_limit, rate_window_seconds)
        self._faults: deque[int] = deque()
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str, int]] = []
        self._httpd = ThreadingHTTPServer((host, port), make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None
        bound_host, bound_port = self._httpd.server_address[:2]
        self.host = str(bound_host)
        self.port = int(bound_port)

    def __repr__(self) -> str:  # never show the token
        return f"ZendeskServer(url={self.url!r}, data_dir={str(self.data_dir)!r})"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def skipped_lines(self) -> int:
        """Lines in the jsonl files that were not JSON and so could not be served."""
        return self._store.skipped_lines

    def start(self) -> "ZendeskServer":
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, name="zendesk-server", daemon=True)
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> "ZendeskServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """Answer the next `n` API requests with HTTP `status` (before auth and rate limiting)."""
        with self._lock:
            self._faults.extend([status] * n)

    def statuses(self) -> list[int]:
        with self._lock:
            return [status for _, _, status in self.requests]

    # -- request handling (called from handler threads) --

    def _record(self, method: str, target: str, status: int) -> None:
        with self._lock:
            self.requests.append((method, target, status))

    def _take_fault(self) -> int | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        method = handler.command
        target = handler.path
        length = handler.headers.get("Content-Length")
        if length and length.isdigit():
            handler.rfile.read(int(length))  # drain a request body so the keep-alive connection stays in step
        status, body, headers = 500, {"error": "InternalServerError"}, {}
        try:
            status, body, headers = self._dispatch(handler)
        except Exception:  # a bug here must not kill the server thread; the client sees a 500
            log.exception("error while answering %s %s", method, target)
            status, body, headers = 500, {"error": "InternalServerError", "description": "see server log"}, {}
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self._record(method, target, status)
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if method != "HEAD":
            handler.wfile.write(payload)

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> tuple[int, Any, dict[str, str]]:
        fault = self._take_fault()
        if fault is not None:
            headers = {"Retry-After": "1"} if fault in (429, 503) else {}
            return fault, {"error": "InjectedFault", "description": f"fail_next injected HTTP {fault}"}, headers

        parts = urlsplit(handler.path)
        rate_headers: dict[str, str] = {}
        if parts.path.startswith(INCREMENTAL_PREFIX):
            allowed, remaining, reset = self._incremental_limiter.acquire()
            # named like Zendesk's per-endpoint headers (zendesk-ratelimit-tickets-index: total=; remaining=; resets=)
            rate_headers["zendesk-ratelimit-incremental-exports"] = (
                f"total={self._incremental_limiter.limit}; remaining={remaining}; resets={reset}"
            )
            if not allowed:
                return 429, {
                    "error": "APIRateLimitExceeded",
                    "description": f"Incremental exports allow {self._incremental_limiter.limit} requests per minute",
                }, {**rate_headers, "Retry-After": str(reset)}
        allowed, remaining, reset = self._limiter.acquire()
        rate_headers.update({
            "X-Rate-Limit": str(self._limiter.limit),
            "X-Rate-Limit-Remaining": str(remaining),
            "ratelimit-limit": str(self._limiter.limit),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(reset),
        })
        if not allowed:
            return 429, {
                "error": "APIRateLimitExceeded",
                "description": "Number of allowed API requests per minute exceeded",
            }, {**rate_headers, "Retry-After": str(reset)}

        if not authenticated(handler.headers.get("Authorization"), self._token, self._oauth_token):
            return 401, {"error": "Couldn't authenticate you"}, {**rate_headers, "WWW-Authenticate": 'Basic realm="Web Password"'}

        path = parts.path.rstrip("/")
        if path.endswith(".json"):
            path = path[: -len(".json")]
        query = parse_qs(parts.query, keep_blank_values=True)
        base = self._base_url(handler)

        route = ROUTES.get(path)
        if route is None:
            return 404, {"error": "InvalidEndpoint", "description": "Not found"}, rate_headers
        if handler.command not in ("GET", "HEAD"):
            return 405, {"error": "MethodNotAllowed", "description": f"{handler.command} is not supported here"}, {**rate_headers, "Allow": "GET, HEAD"}
        name, view = route
        try:
            status, body = view(self._store, name, query, base + parts.path, self.page_size)
        except BadRequest as exc:
            status, body = 400, {"error": exc.error, "description": exc.description}
        return status, body, rate_headers

    def _base_url(self, handler: BaseHTTPRequestHandler) -> str:
        host = handler.headers.get("Host")
        return f"http://{host}" if host else self.url


def make_handler(server: ZendeskServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "c360-zendesk/1.0"
        # Headers and body go out in separate writes; with Nagle on, keep-alive clients wait ~40 ms per page.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            server._handle(self)

        do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            # Request lines only (method, path, status): headers, and so the token, are never logged.
            log.debug("%s %s", self.address_string(), format % args)

    return Handler


def serve(
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8765,
    rate_limit: int = ACCOUNT_RATE_LIMIT,
    incremental_rate_limit: int = INCREMENTAL_RATE_LIMIT,
) -> None:
    """Serve `data_dir` as a Zendesk API until Ctrl-C (what `c360 zendesk-server` runs)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        server = ZendeskServer(
            Path(data_dir), host=host, port=port, rate_limit=rate_limit, incremental_rate_limit=incremental_rate_limit
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except OSError as exc:
        print(f"error: cannot listen on {host}:{port} ({exc}); choose another --port", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"Zendesk-compatible API for {data_dir} on {server.url} (rate limits {rate_limit}/min, incremental "
          f"exports {incremental_rate_limit}/min); Ctrl-C stops it")
    print(f"  e.g. curl -u you@example.com/token:${TOKEN_ENV} '{server.url}/api/v2/incremental/users/cursor.json?start_time=0'")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.stop()

"""The shipped Zendesk-compatible server, over real HTTP on loopback."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from samples.zendesk_server import TOKEN_ENV, ConfigError, ZendeskServer
from samples.zendesk_server.auth import OAUTH_TOKEN_ENV

TOKEN = "test-token-7f3a"
AUTH = ("agent@example.com/token", TOKEN)
REPO = Path(__file__).resolve().parents[2]


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


T0 = epoch("2024-05-01T10:00:00+00:00")


def user(uid, updated: int, **extra):
    record = {
        "id": uid,
        "url": f"https://example.zendesk.com/api/v2/users/{uid}.json",
        "name": f"Customer {uid}",
        "email": f"customer{uid}@example.com",
        "created_at": iso(T0 - 86_400),
        "updated_at": iso(updated),
        "time_zone": "Europe/Berlin",
        "phone": None,
        "role": "end-user",
        "verified": True,
        "external_id": None,
        "tags": [],
        "active": True,
        "user_fields": {},
    }
    record.update(extra)
    return record


def ticket(tid: int, requester_id, updated: int, **extra):
    record = {
        "id": tid,
        "url": f"https://example.zendesk.com/api/v2/tickets/{tid}.json",
        "via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": iso(updated - 3600),
        "updated_at": iso(updated),
        "subject": f"Order question {tid}",
        "description": "Where is my order?",
        "priority": "normal",
        "status": "open",
        "requester_id": requester_id,
        "submitter_id": requester_id,
        "assignee_id": 900,
        "group_id": 44,
        "tags": ["order", "shipping"],
        "satisfaction_rating": None,
        "generated_timestamp": updated,
    }
    record.update(extra)
    return record


def rating(rid: int, score: str, updated: int, comment: str = ""):
    return {
        "id": rid,
        "url": f"https://example.zendesk.com/api/v2/satisfaction_ratings/{rid}.json",
        "assignee_id": 900,
        "group_id": 44,
        "requester_id": 1000 + rid,
        "ticket_id": 5000 + rid,
        "score": score,
        "comment": comment,
        "reason": None,
        "created_at": iso(updated - 60),
        "updated_at": iso(updated),
    }


def write_jsonl(path: Path, records, extra_lines=()) -> None:
    lines = [json.dumps(r) for r in records] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Make the rewrite visible even on file systems with coarse mtimes.
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


@pytest.fixture()
def support_dir(tmp_path: Path) -> Path:
    d = tmp_path / "support"
    d.mkdir()
    users = [user(i, T0 + i * 3600) for i in range(1, 11)]
    users += [
        user(11, T0 + 5 * 3600),  # same updated_at as user 5: ordered by id
        user("abc", T0 + 2 * 3600, name="Wrong id type"),
        user(None, T0 + 3 * 3600, name="Missing id"),
        {"id": 12, "name": "Unparseable updated_at", "updated_at": "yesterday-ish"},
    ]
    write_jsonl(d / "users.jsonl", users, extra_lines=['{"id": 13, "name": "truncated'])
    write_jsonl(
        d / "tickets.jsonl",
        [ticket(100 + i, i if i != 3 else "abc", T0 + i * 600, created_at="2199-01-01T00:00:00Z" if i == 4 else iso(T0))
         for i in range(1, 8)],
    )
    scores = ["good", "bad", "offered", "good", "bad", "unoffered", "good"]
    write_jsonl(
        d / "satisfaction_ratings.jsonl",
        [rating(i, scores[i % len(scores)], T0 + i * 60, comment="Great help" if i % 3 == 0 else "")
         for i in range(1, 251)],
    )
    return d


@pytest.fixture()
def server(support_dir: Path):
    # the export tests page a lot; Zendesk's 10 export requests a minute have their own test
    with ZendeskServer(support_dir, api_token=TOKEN, page_size=1000, incremental_rate_limit=10_000) as srv:
        yield srv


def get(srv: ZendeskServer, path: str, **kwargs) -> requests.Response:
    kwargs.setdefault("auth", AUTH)
    return requests.get(srv.url + path, timeout=10, **kwargs)


def user_key(u: dict) -> tuple:
    return u.get("updated_at"), str(u.get("id"))


# --- auth ----------------------------------------------------------------------------------------------


def test_requests_without_valid_credentials_get_401(server: ZendeskServer) -> None:
    path = "/api/v2/incremental/users/cursor.json?start_time=0"
    for auth in [None, ("agent@example.com/token", "wrong"), ("agent@example.com", TOKEN), ("/token", TOKEN)]:
        r = requests.get(server.url + path, auth=auth, timeout=10)
        assert r.status_code == 401, auth
        assert r.json() == {"error": "Couldn't authenticate you"}
    r = requests.get(server.url + path, headers={"Authorization": "Bearer wrong"}, timeout=10)
    assert r.status_code == 401


def test_api_token_works_as_basic_and_is_refused_as_bearer(server: ZendeskServer) -> None:
    """Zendesk: an API token is Basic {email}/token:{token}; the same token sent as Bearer is a 401."""
    path = "/api/v2/incremental/users/cursor.json?start_time=0"
    assert get(server, path).status_code == 200
    bearer = requests.get(server.url + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert bearer.status_code == 401
    assert bearer.json() == {"error": "Couldn't authenticate you"}


def test_server_refuses_to_start_without_token(support_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    monkeypatch.delenv(OAUTH_TOKEN_ENV, raising=False)
    monkeypatch.chdir(support_dir)  # no .dlt/secrets.toml here
    with pytest.raises(ConfigError, match=TOKEN_ENV):
        ZendeskServer(support_dir)
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    with ZendeskServer(support_dir) as srv:
        r = requests.get(srv.url + "/api/v2/satisfaction_ratings", auth=("a@b.c/token", "from-env"), timeout=10)
        assert r.status_code == 200


def test_missing_data_dir_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--data-dir"):
        ZendeskServer(tmp_path / "nope", api_token=TOKEN)


# --- incremental exports -------------------------------------------------------------------------------


def test_incremental_users_start_time_filters_and_orders(server: ZendeskServer) -> None:
    start = T0 + 4 * 3600
    body = get(server, f"/api/v2/incremental/users/cursor.json?start_time={start}").json()
    users = body["users"]
    assert body["end_of_stream"] is True
    # the record with an unparseable updated_at is served in every export, first
    assert users[0]["id"] == 12
    dated = users[1:]
    assert [u["id"] for u in dated] == [4, 5, 11, 6, 7, 8, 9, 10]
    assert all(epoch(u["updated_at"].replace("Z", "+00:00")) >= start for u in dated)
    assert body["after_url"].startswith(server.url + "/api/v2/incremental/users/cursor.json?cursor=")
    assert f"cursor={body['after_cursor']}" in body["after_url"]


def test_incremental_export_pages_until_end_of_stream_then_resumes(server: ZendeskServer, support_dir: Path) -> None:
    url = server.url + "/api/v2/incremental/users/cursor.json?start_time=0&per_page=4"
    seen, pages = [], 0
    while True:
        r = requests.get(url, auth=AUTH, timeout=10)
        assert r.status_code == 200
        body = r.json()
        pages += 1
        seen += body["users"]
        assert body["after_cursor"]
        if body["end_of_stream"]:
            break
        url = body["after_url"]
        assert "per_page=4" in url
    # 14 served records (the broken line is skipped), 4 per page
    assert len(seen) == 14 and pages == 4
    assert len({json.dumps(u, sort_keys=True) for u in seen}) == 14
    dated = [u for u in seen if u["id"] != 12]
    assert [u["updated_at"] for u in dated] == sorted(u["updated_at"] for u in dated)
    assert server.skipped_lines == 1

    last_cursor = body["after_cursor"]
    # nothing changed yet: resuming returns nothing, and hands back a cursor to keep polling with
    again = get(server, f"/api/v2/incremental/users/cursor.json?cursor={last_cursor}").json()
    assert again["users"] == [] and again["end_of_stream"] is True and again["after_cursor"]

    # an increment rewrites user 3 with a newer updated_at and adds user 20
    lines = [json.loads(x) for x in (support_dir / "users.jsonl").read_text().splitlines()[:-1]]
    later = T0 + 30 * 3600
    lines = [user(3, later, name="Renamed") if u.get("id") == 3 else u for u in lines] + [user(20, later + 1)]
    write_jsonl(support_dir / "users.jsonl", lines)

    resumed = get(server, f"/api/v2/incremental/users/cursor.json?cursor={last_cursor}").json()
    assert [(u["id"], u["name"]) for u in resumed["users"]] == [(3, "Renamed"), (20, "Customer 20")]
    assert resumed["end_of_stream"] is True


def test_incremental_tickets_serves_malformed_records_as_stored(server: ZendeskServer, support_dir: Path) -> None:
    body = get(server, f"/api/v2/incremental/tickets/cursor.json?start_time={T0}&include=metric_sets").json()
    stored = [json.loads(x) for x in (support_dir / "tickets.jsonl").read_text().splitlines()]
    assert body["tickets"] == stored  # already in updated_at order, served byte for byte
    assert body["tickets"][2]["requester_id"] == "abc"
    assert body["tickets"][3]["created_at"] == "2199-01-01T00:00:00Z"
    assert "include=metric_sets" in body["after_url"]
    later = get(server, f"/api/v2/incremental/tickets/cursor.json?start_time={T0 + 5 * 600}").json()
    assert [t["id"] for t in later["tickets"]] == [105, 106, 107]


@pytest.mark.parametrize(
    "query, error",
    [("", "start_time"), ("?start_time=yesterday", "start_time"), ("?cursor=not-a-cursor", "cursor"),
     ("?start_time=0&per_page=0", "per_page")],
)
def test_incremental_export_rejects_bad_parameters(server: ZendeskServer, query: str, error: str) -> None:
    r = get(server, "/api/v2/incremental/tickets/cursor.json" + query)
    assert r.status_code == 400
    body = r.json()
    assert body["error"] and error in body["description"]


def test_unknown_path_is_404(server: ZendeskServer) -> None:
    r = get(server, "/api/v2/tickets/1.json")
    assert r.status_code == 404
    assert r.json()["error"]


# --- satisfaction ratings ------------------------------------------------------------------------------


def test_satisfaction_ratings_paginate_via_links_next(server: ZendeskServer) -> None:
    url = server.url + "/api/v2/satisfaction_ratings.json"
    seen, pages = [], []
    while url:
        body = requests.get(url, auth=AUTH, timeout=10).json()
        pages.append(len(body["satisfaction_ratings"]))
        seen += body["satisfaction_ratings"]
        if not body["meta"]["has_more"]:
            assert body["links"]["next"] is None
            break
        url = body["links"]["next"]
        assert "page%5Bafter%5D=" in url or "page[after]=" in url
    assert pages == [100, 100, 50]
    assert [r["id"] for r in seen] == list(range(1, 251))


def test_satisfaction_ratings_filters(server: ZendeskServer) -> None:
    start, end = T0 + 100 * 60, T0 + 120 * 60
    body = get(server, f"/api/v2/satisfaction_ratings?start_time={start}&end_time={end}&page[size]=5").json()
    ids = [r["id"] for r in body["satisfaction_ratings"]]
    assert ids == [100, 101, 102, 103, 104] and body["meta"]["has_more"] is True
    rest = requests.get(body["links"]["next"], auth=AUTH, timeout=10).json()
    assert rest["satisfaction_ratings"][0]["id"] == 105
    assert f"start_time={start}" in body["links"]["next"]

    bad = get(server, "/api/v2/satisfaction_ratings?score=bad_with_comment").json()["satisfaction_ratings"]
    assert bad and all(r["score"] == "bad" and r["comment"] for r in bad)
    received = get(server, "/api/v2/satisfaction_ratings?score=received&page[size]=100").json()
    assert all(r["score"] in ("good", "bad") for r in received["satisfaction_ratings"])
    assert get(server, "/api/v2/satisfaction_ratings?score=great").status_code == 400


def test_satisfaction_ratings_offset_pagination(server: ZendeskServer) -> None:
    body = get(server, "/api/v2/satisfaction_ratings.json?page=3&per_page=100").json()
    assert [r["id"] for r in body["satisfaction_ratings"]] == list(range(201, 251))
    assert body["count"] == 250 and body["next_page"] is None and "page=2" in body["previous_page"]


# --- rate limiting and faults --------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after_and_recovers(support_dir: Path) -> None:
    with ZendeskServer(support_dir, api_token=TOKEN, rate_limit=3, rate_window_seconds=2.5) as srv:
        path = "/api/v2/satisfaction_ratings"
        first = [get(srv, path) for _ in range(3)]
        assert [r.status_code for r in first] == [200, 200, 200]
        assert first[0].headers["X-Rate-Limit"] == "3"
        assert [r.headers["ratelimit-remaining"] for r in first] == ["2", "1", "0"]
        limited = get(srv, path)
        assert limited.status_code == 429
        retry_after = int(limited.headers["Retry-After"])
        assert 1 <= retry_after <= 3
        assert limited.json()["error"] == "APIRateLimitExceeded"
        time.sleep(retry_after)
        assert get(srv, path).status_code == 200
        assert srv.statuses() == [200, 200, 200, 429, 200]


def test_fail_next_injects_errors_then_serves_normally(server: ZendeskServer) -> None:
    server.fail_next(1, status=500)
    path = "/api/v2/incremental/users/cursor.json?start_time=0"
    assert get(server, path).status_code == 500
    assert get(server, path).status_code == 200
    server.fail_next(2, status=503)
    r = get(server, path)
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert get(server, path).status_code == 503
    assert get(server, path).status_code == 200
    assert [(m, p, s) for m, p, s in server.requests] == [("GET", path, s) for s in (500, 200, 503, 503, 200)]


def test_token_is_never_printed(support_dir: Path) -> None:
    env = {**os.environ, TOKEN_ENV: "secret-token-value-123", "PYTHONPATH": str(REPO)}
    # The server runs in the foreground as `c360 zendesk-server` does; a thread makes one authenticated
    # request once it is up, then ends the process.
    code = """
import os, sys, threading, time, requests
from pathlib import Path
from samples import zendesk_server as z

def client():
    for _ in range(300):
        try:
            requests.get("http://127.0.0.1:%d/api/v2/satisfaction_ratings",
                         auth=("a@b.c/token", "secret-token-value-123"), timeout=5)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    sys.stdout.flush(); sys.stderr.flush()
    os._exit(0)

threading.Thread(target=client, daemon=True).start()
z.serve(Path(sys.argv[1]), "127.0.0.1", %d, 700)
"""
    port = _free_port()
    proc = subprocess.run(
        [sys.executable, "-c", code % (port, port), str(support_dir)],
        env=env, capture_output=True, text=True, timeout=60, cwd=support_dir,
    )
    output = proc.stdout + proc.stderr
    assert f"http://127.0.0.1:{port}" in output
    assert "secret-token-value-123" not in output
    assert base64.b64encode(b"a@b.c/token:secret-token-value-123").decode() not in output


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_satisfaction_ratings_prev_link_walks_back(server: ZendeskServer) -> None:
    first = get(server, "/api/v2/satisfaction_ratings?page[size]=100").json()
    assert first["links"]["prev"] is None
    second = requests.get(first["links"]["next"], auth=AUTH, timeout=10).json()
    assert [r["id"] for r in second["satisfaction_ratings"]] == list(range(101, 201))
    back = requests.get(second["links"]["prev"], auth=AUTH, timeout=10).json()
    assert back["satisfaction_ratings"] == first["satisfaction_ratings"]
    assert back["meta"]["has_more"] is False


def test_cli_without_token_exits_with_message_naming_the_setting(support_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in (TOKEN_ENV, OAUTH_TOKEN_ENV)}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.run(
        [sys.executable, "-m", "c360.cli", "zendesk-server", "--data-dir", str(support_dir), "--port", "0"],
        env=env, capture_output=True, text=True, timeout=60, cwd=support_dir,
    )
    assert proc.returncode == 2
    assert TOKEN_ENV in proc.stderr

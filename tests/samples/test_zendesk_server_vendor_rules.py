"""The Zendesk-compatible server follows Zendesk's documented rules: the two auth header forms, side-loads
served only when asked (include=metric_sets / include=identities), and the incremental exports' own rate limit.
Real HTTP on loopback."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from samples.zendesk_server import ZendeskServer

API_TOKEN = "api-token-51c2"
OAUTH_TOKEN = "oauth-access-token-9d07"
BASIC = ("agent@example.com/token", API_TOKEN)
TICKETS = "/api/v2/incremental/tickets/cursor.json?start_time=0"
USERS = "/api/v2/incremental/users/cursor.json?start_time=0"


def write(path: Path, records: list) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


@pytest.fixture()
def support_dir(tmp_path: Path) -> Path:
    d = tmp_path / "support"
    d.mkdir()
    stamp = "2024-05-01T10:00:00Z"
    write(d / "users.jsonl", [
        {"id": 1, "name": "Ann Lee", "email": "ann@example.com", "phone": "+4915112345678", "verified": True,
         "created_at": stamp, "updated_at": stamp},
        {"id": 2, "name": "Bo Chen", "email": "bo@example.com", "phone": None, "created_at": stamp, "updated_at": stamp},
        {"id": 3, "name": "No Contact", "email": None, "phone": None, "created_at": stamp, "updated_at": stamp},
    ])
    write(d / "tickets.jsonl", [
        {"id": 10, "requester_id": 1, "status": "solved", "created_at": stamp, "updated_at": stamp,
         "metric_set": {"id": 90, "reopens": 1, "replies": 2, "reply_time_in_minutes": {"calendar": 30, "business": 20}}},
        {"id": 11, "requester_id": 2, "status": "deleted", "created_at": stamp, "updated_at": stamp},
    ])
    write(d / "satisfaction_ratings.jsonl", [])
    return d


@pytest.fixture()
def server(support_dir: Path):
    with ZendeskServer(support_dir, api_token=API_TOKEN, oauth_token=OAUTH_TOKEN, incremental_rate_limit=1000) as srv:
        yield srv


def get(srv: ZendeskServer, path: str, **kwargs) -> requests.Response:
    kwargs.setdefault("auth", BASIC)
    return requests.get(srv.url + path, timeout=10, **kwargs)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_api_token_is_basic_only_and_oauth_token_is_bearer_only(server: ZendeskServer) -> None:
    assert get(server, USERS).status_code == 200
    assert get(server, USERS, auth=None, headers=bearer(OAUTH_TOKEN)).status_code == 200
    # each token in the other's form is refused, as on a real account
    assert get(server, USERS, auth=None, headers=bearer(API_TOKEN)).status_code == 401
    assert get(server, USERS, auth=("agent@example.com/token", OAUTH_TOKEN)).status_code == 401
    # email:password (no /token) is not API-token auth
    assert get(server, USERS, auth=("agent@example.com", API_TOKEN)).status_code == 401


def test_oauth_only_server_refuses_every_api_token_form(support_dir: Path) -> None:
    with ZendeskServer(support_dir, api_token=None, oauth_token=OAUTH_TOKEN) as srv:
        assert get(srv, USERS, auth=None, headers=bearer(OAUTH_TOKEN)).status_code == 200
        assert get(srv, USERS).status_code == 401
        assert get(srv, USERS, auth=("agent@example.com/token", "")).status_code == 401


def test_metric_sets_are_served_only_when_asked(server: ZendeskServer) -> None:
    plain = get(server, TICKETS).json()
    assert "metric_sets" not in plain
    assert all("metric_set" not in t for t in plain["tickets"])
    asked = get(server, TICKETS + "&include=metric_sets").json()
    assert [t["id"] for t in asked["tickets"]] == [t["id"] for t in plain["tickets"]] == [10, 11]
    assert all("metric_set" not in t for t in asked["tickets"])
    # one metric set per ticket that has one (a deleted ticket has none), naming its ticket
    assert asked["metric_sets"] == [
        {"id": 90, "reopens": 1, "replies": 2, "reply_time_in_minutes": {"calendar": 30, "business": 20}, "ticket_id": 10}
    ]
    # a sideload of another resource, or an unknown one, adds nothing
    other = get(server, TICKETS + "&include=identities,users").json()
    assert set(other) == set(plain)


def test_identities_are_side_loaded_with_the_user_export(server: ZendeskServer, support_dir: Path) -> None:
    assert "identities" not in get(server, USERS).json()
    body = get(server, USERS + "&include=identities").json()
    by_user: dict[int, list[tuple]] = {}
    for identity in body["identities"]:
        by_user.setdefault(identity["user_id"], []).append((identity["type"], identity["value"], identity["primary"]))
    assert by_user == {
        1: [("email", "ann@example.com", True), ("phone_number", "+4915112345678", True)],
        2: [("email", "bo@example.com", True)],
    }
    assert len({i["id"] for i in body["identities"]}) == 3
    # secondary identities from user_identities.jsonl replace the derived ones of their user; the file is
    # picked up without a restart
    write(support_dir / "user_identities.jsonl", [
        {"id": 501, "user_id": 2, "type": "email", "value": "bo@example.com", "primary": True, "verified": True},
        {"id": 502, "user_id": 2, "type": "email", "value": "bo.chen@work.example", "primary": False, "verified": True},
        {"id": 503, "user_id": 2, "type": "phone_number", "value": "+14155550100", "primary": False, "verified": False},
    ])
    again = get(server, USERS + "&include=identities").json()
    assert sorted(i["id"] for i in again["identities"] if i["user_id"] == 2) == [501, 502, 503]
    assert sorted(i["value"] for i in again["identities"] if i["user_id"] == 1) == ["+4915112345678", "ann@example.com"]


def test_incremental_exports_have_their_own_stricter_rate_limit(support_dir: Path) -> None:
    """Zendesk: 10 requests a minute to the incremental exports, besides the account-wide limit."""
    window = 3.0
    with ZendeskServer(support_dir, api_token=API_TOKEN, rate_window_seconds=window) as srv:
        first = [get(srv, TICKETS) for _ in range(10)]
        assert [r.status_code for r in first] == [200] * 10
        assert first[0].headers["zendesk-ratelimit-incremental-exports"].startswith("total=10; remaining=9;")
        limited = get(srv, USERS)
        assert limited.status_code == 429
        retry_after = int(limited.headers["Retry-After"])
        assert 1 <= retry_after <= window + 1
        # the other endpoints answer under the account limit (700) meanwhile
        ratings = get(srv, "/api/v2/satisfaction_ratings")
        assert ratings.status_code == 200 and ratings.headers["X-Rate-Limit"] == "700"
        assert "zendesk-ratelimit-incremental-exports" not in ratings.headers
        time.sleep(retry_after)
        assert get(srv, TICKETS).status_code == 200

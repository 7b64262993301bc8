"""samples.environment: the one place that points c360's sources at a sample, and puts everything back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from c360.settings import SOURCES
from samplekit import generate_sample
from samples.environment import SAMPLE_AGENT_EMAIL, sample_settings, serve_sample

LOCATION = {"sales": "credentials", "support": "base_url", "email": "bucket_url", "web": "bucket_url"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("env") / "sample"
    generate_sample(out, customers=20, seed=4)
    return out


def test_sample_settings_point_every_source_at_the_sample_and_restore(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a developer's own settings: replaced (or hidden) while the block runs, back afterwards
    monkeypatch.setenv(SOURCES["sales"].env("credentials"), "postgresql+psycopg2://me:pw@db/prod")
    monkeypatch.setenv(SOURCES["email"].env("credentials"), "my-bucket-secret")
    monkeypatch.delenv(SOURCES["web"].env("bucket_url"), raising=False)
    with sample_settings(sample, "http://127.0.0.1:9/", "tok-1") as env:
        assert os.environ[SOURCES["sales"].env("credentials")] == f"sqlite:///{sample.resolve() / 'sales.sqlite'}"
        assert os.environ[SOURCES["support"].env("base_url")] == "http://127.0.0.1:9/"
        assert os.environ[SOURCES["support"].env("api_token")] == "tok-1"
        assert os.environ[SOURCES["support"].env("email")] == SAMPLE_AGENT_EMAIL
        assert os.environ[SOURCES["email"].env("bucket_url")] == str(sample.resolve() / "email")
        assert os.environ[SOURCES["web"].env("bucket_url")] == str(sample.resolve() / "web")
        assert SOURCES["email"].env("credentials") not in os.environ
        assert env == {k: os.environ[k] for k in env}
        for name, setting in LOCATION.items():  # what the sources themselves resolve
            assert SOURCES[name].setting(setting).get() == os.environ[SOURCES[name].env(setting)]
    assert os.environ[SOURCES["sales"].env("credentials")] == "postgresql+psycopg2://me:pw@db/prod"
    assert os.environ[SOURCES["email"].env("credentials")] == "my-bucket-secret"
    assert SOURCES["web"].env("bucket_url") not in os.environ
    assert SOURCES["support"].env("api_token") not in os.environ or os.environ[SOURCES["support"].env("api_token")] != "tok-1"


def test_settings_through_monkeypatch_are_undone_by_it(sample: Path) -> None:
    key = SOURCES["support"].env("base_url")
    before = os.environ.get(key)
    mp = pytest.MonkeyPatch()
    with sample_settings(sample, "http://127.0.0.1:9/", "tok", env=mp):
        mp.setenv(key, "http://changed-by-the-test")  # a test's own later change
    assert os.environ[key] == "http://changed-by-the-test"  # monkeypatch, not the block, restores
    mp.undo()
    assert os.environ.get(key) == before


def test_serve_sample_serves_the_support_folder_with_the_sources_token(sample: Path) -> None:
    with serve_sample(sample, rate_limit=50) as served:
        token = os.environ[SOURCES["support"].env("api_token")]
        base = os.environ[SOURCES["support"].env("base_url")]
        assert base == served.server.url
        answer = requests.get(f"{base}/api/v2/incremental/users/cursor.json", params={"start_time": 0},
                              auth=(f"{SAMPLE_AGENT_EMAIL}/token", token), timeout=10)
        assert answer.status_code == 200 and answer.json()["users"]
        assert requests.get(f"{base}/api/v2/incremental/users/cursor.json", params={"start_time": 0},
                            auth=(f"{SAMPLE_AGENT_EMAIL}/token", "wrong"), timeout=10).status_code == 401
    assert os.environ.get(SOURCES["support"].env("base_url")) != base


def test_serve_sample_refuses_a_folder_that_is_not_a_sample(tmp_path: Path) -> None:
    (tmp_path / "support").mkdir()
    with pytest.raises(FileNotFoundError, match="sales.sqlite is missing: run `c360 generate"):
        with serve_sample(tmp_path):
            pass

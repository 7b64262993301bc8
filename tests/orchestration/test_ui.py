"""`c360 ui` serves the Dagster UI on the c360 definitions: the asset graph is there over GraphQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import requests

ASSET_NODES = "{ assetNodes { assetKey { path } groupName dependencyKeys { path } } }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ui_serves_the_asset_graph(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "C360_DAGSTER_HOME": str(tmp_path / "dagster"),
        "C360_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
    }
    env.pop("DAGSTER_HOME", None)
    log = open(tmp_path / "ui.log", "w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "c360.cli", "ui", "--no-daemon", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so the web server child goes down with it
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        nodes = None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and process.poll() is None:
            try:
                response = requests.post(url, json={"query": ASSET_NODES}, timeout=10)
                body = response.json()
                if response.ok and body.get("data", {}).get("assetNodes"):
                    nodes = body["data"]["assetNodes"]
                    break
            except (requests.ConnectionError, requests.Timeout, ValueError):
                pass
            time.sleep(1)
        log.seek(0)
        assert nodes, f"no asset graph from {url}; server output:\n{log.read()}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()

    by_key = {tuple(n["assetKey"]["path"]): n for n in nodes}
    for key in [("raw_sales", "customers"), ("raw_web", "events"), ("marts", "customer_360"), ("published_marts",)]:
        assert key in by_key, sorted(by_key)
    assert by_key[("raw_sales", "customers")]["groupName"] == "sales"
    # the graph is one piece: staging reads the dlt asset, publication reads the marts
    assert ["raw_sales", "customers"] in [d["path"] for d in by_key[("staging", "stg_sales__customers")]["dependencyKeys"]]
    assert ["marts", "customer_360"] in [d["path"] for d in by_key[("published_marts",)]["dependencyKeys"]]
    # the instance c360 created for the UI carries the warehouse concurrency settings
    assert "c360/warehouse" in (tmp_path / "dagster" / "dagster.yaml").read_text()

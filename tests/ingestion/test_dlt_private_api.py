"""c360's only use of dlt's private API (ingestion/dlt_private.py), pinned to the dlt versions it was verified
with: when dlt moves on, this test fails before anything else does."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb

from ingestion.dlt_private import VERIFIED_DLT, add_table_variant, table_variants


def test_dlt_version_was_verified() -> None:
    minor = ".".join(dlt.__version__.split(".")[:2])
    assert minor in VERIFIED_DLT, f"dlt {dlt.__version__}: re-verify ingestion/dlt_private.py, then add {minor}"


def test_table_variant_gets_exactly_its_hints_and_its_rows(tmp_path: Path) -> None:
    @dlt.resource(name="events", primary_key="event_id", write_disposition="merge")
    def events():
        yield [{"event_id": 1, "kind": "open"}, {"event_id": 2, "kind": "click"}]
        yield dlt.mark.with_table_name([{"note_id": "n1", "text": "kept apart"}], "notes")

    def with_notes():
        return add_table_variant(events(), dlt.mark.make_hints(table_name="notes", write_disposition="append"))

    resource = with_notes()
    assert table_variants(resource) == ["notes"]

    warehouse = tmp_path / "w.duckdb"
    pipeline = dlt.pipeline("dlt_private_test", pipelines_dir=str(tmp_path / "dlt"),
                            destination=dlt.destinations.duckdb(str(warehouse)), dataset_name="raw")
    pipeline.run(resource)
    pipeline.run(with_notes())  # a rerun merges events and appends notes
    schema = pipeline.default_schema
    # the variant does not inherit the parent's primary key (with_hints(create_table_variant=True) would)
    assert not any(c.get("primary_key") for c in schema.get_table_columns("notes").values())
    assert schema.get_table("notes")["write_disposition"] == "append"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.events").fetchone() == (2,)
        assert con.execute("select count(*) from raw.notes").fetchone() == (2,)


def test_client_session_uses_the_given_adapter_and_caps_the_retry_delay() -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from dlt.sources.helpers.requests import Client
    from requests.adapters import HTTPAdapter

    from ingestion.dlt_private import client_session

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(503)
            self.send_header("Retry-After", "3600")  # an hour: only the cap keeps the test short
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    class Counting(HTTPAdapter):
        sent = 0

        def send(self, *args, **kwargs):
            Counting.sent += 1
            return super().send(*args, **kwargs)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = Client(raise_for_status=False, request_max_attempts=2)
        session = client_session(client, Counting(), max_retry_delay=0.1)
        response = session.get(f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 503
    assert Counting.sent == 2  # both attempts went through our adapter, 0.1 s apart instead of an hour

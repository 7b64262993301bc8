"""A Zendesk-compatible HTTP API over the ``support/`` folder that ``c360 generate`` writes.

It serves the three files ``users.jsonl``, ``tickets.jsonl`` and ``satisfaction_ratings.jsonl`` (one Zendesk
API object per line, exactly as the API returns it) through the same endpoints, authentication, pagination
and rate limiting as Zendesk Support, so the c360 support source is exercised the way it runs against a real
account:

* ``GET /api/v2/incremental/users/cursor.json`` and ``GET /api/v2/incremental/tickets/cursor.json``
  (cursor-based incremental export: ``start_time`` then ``cursor``, ``per_page`` up to 1000,
  ``after_cursor``/``after_url``/``end_of_stream``);
* ``GET /api/v2/satisfaction_ratings[.json]`` (cursor pagination ``page[size]``/``page[after]``/``page[before]``
  with ``meta`` and ``links``, offset pagination ``page``/``per_page``, filters ``score``, ``start_time``,
  ``end_time``);
* API-token auth (HTTP Basic ``{email}/token:{token}``) and OAuth bearer tokens; 401 otherwise;
* a rolling-window rate limit answering HTTP 429 with ``Retry-After``, plus Zendesk's rate-limit headers.

Only the standard library (and orjson, a dlt dependency) is used. Records are served as stored, malformed
ones included: the server is a source system, and judging records is the loader's job. A line that is not
JSON at all cannot be embedded in a JSON response; it is skipped, counted in
:attr:`ZendeskServer.skipped_lines` and logged.

The files are re-read whenever their modification time or size changes, so an increment written by
``c360 generate --increment`` is served without a restart.

Modules: ``data`` (the jsonl files, parsed and sorted), ``routes`` (the endpoints and their pagination),
``auth`` (how a request authenticates), ``server`` (HTTP, rate limits, faults, :func:`serve`).
"""

from samples.zendesk_server.auth import TOKEN_ENV
from samples.zendesk_server.server import ConfigError, ZendeskServer, serve

__all__ = ["TOKEN_ENV", "ConfigError", "ZendeskServer", "serve"]

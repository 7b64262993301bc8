"""Which rows belong to an erased person: one matcher for erasure (plain identifiers) and loads (tombstones).

A row belongs to the person when

* a **key column** holds one of the person's record ids: ``raw_sales.orders.customer_id`` is a sales
  customer, ``raw_web.*.user_id`` a Segment userId, and so on (:data:`RAW_KEYS`; column names compared without
  underscores and case, so ``userId`` at extraction and ``user_id`` in the warehouse agree). A matched row's own
  keys join the set (a matched order's id makes its order items match), so child records go with their parent;
* or any text value of the row contains one of the person's emails or phones (:mod:`privacy.identifiers`),
  in whatever form — this also catches quarantined payloads, traits copied into events and free text.

Everything is compared as tombstone digests (salted sha256), so the same code answers during a load, where
only the digests are known.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from privacy.identifiers import digest, emails_in, phone_keys_in

#: (raw dataset, table) -> {normalized column name: record kind}. The record kinds of identity nodes are the
#: node sources (sales, support, email, web_user, web_anonymous); sales_order and support_ticket are records the
#: person owns.
RAW_KEYS: dict[tuple[str, str], dict[str, str]] = {
    ("raw_sales", "customers"): {"id": "sales"},
    ("raw_sales", "orders"): {"customerid": "sales", "id": "sales_order"},
    ("raw_sales", "order_items"): {"orderid": "sales_order"},
    ("raw_support", "users"): {"id": "support"},
    ("raw_support", "tickets"): {"requesterid": "support", "id": "support_ticket"},
    ("raw_support", "satisfaction_ratings"): {"requesterid": "support", "ticketid": "support_ticket"},
    **{("raw_web", t): {"userid": "web_user", "anonymousid": "web_anonymous"}
       for t in ("identifies", "pages", "tracks", "screens", "groups")},
    # an alias links the id a visitor had before (usually the anonymous id) to the one they have now
    ("raw_web", "aliases"): {"userid": "web_user", "anonymousid": "web_anonymous", "previousid": "web_anonymous"},
}

#: Key columns of the models (intermediate, marts, published marts): name -> record kind. A column whose name
#: ends with ``customer_id`` is a c360 customer id, one containing ``node_key`` an identity node.
MODEL_KEYS: dict[str, str] = {"anonymousid": "web_anonymous", "userid": "web_user"}


def norm(name: str) -> str:
    return name.replace("_", "").lower()


def model_key_kind(column: str) -> str | None:
    n = norm(column)
    if n.endswith("customerid"):
        return "customer"
    if "nodekey" in n:
        return "node"
    return MODEL_KEYS.get(n)


class Matcher:
    """Answers "is this the erased person's?" for values, keys and records, by tombstone digest."""

    def __init__(self, salt: str, digests: Iterable[str], remember: bool = False) -> None:
        self.salt = salt
        self.digests = set(digests)
        #: with ``remember``: text -> digests of the identifiers in it. An erasure asks about the same values again
        #: as it learns more of the person; a load sees each value about once and keeps no such memory.
        self._text_digests: dict[str, frozenset[str]] | None = {} if remember else None
        #: digest -> kind, for the digests this matcher was given as values (what a new tombstone records)
        self.kinds: dict[str, str] = {}

    @classmethod
    def from_identifiers(cls, salt: str, emails: Iterable[str], phones: Iterable[str],
                         records: Iterable[str], customers: Iterable[str] = ()) -> "Matcher":
        matcher = cls(salt, [], remember=True)
        for kind, values in (("email", emails), ("phone", phones), ("record", records), ("customer", customers)):
            for v in values:
                if v:
                    matcher.add(kind, v)
        return matcher

    def __bool__(self) -> bool:
        return bool(self.digests)

    def add(self, kind: str, value: str) -> None:
        d = digest(self.salt, kind, value)
        self.digests.add(d)
        self.kinds[d] = kind

    def text_hits(self, text: Any) -> bool:
        """True when ``text`` contains one of the person's emails or phones."""
        if text is None:
            return False
        if not isinstance(text, str):
            if isinstance(text, int) and not isinstance(text, bool) and text > 999_999:
                text = str(text)
            else:
                return False
        found = self._text_digests.get(text) if self._text_digests is not None else None
        if found is None:
            found = frozenset([digest(self.salt, "email", e) for e in emails_in(text)]
                              + [digest(self.salt, "phone", p) for p in phone_keys_in(text)])
            if self._text_digests is not None:
                self._text_digests[text] = found
        return not found.isdisjoint(self.digests)

    def key_hits(self, kind: str, value: Any) -> bool:
        """True when ``value`` is one of the person's record ids of ``kind`` (a node key when kind is "node")."""
        if value is None:
            return False
        if kind == "node":
            return digest(self.salt, "record", str(value)) in self.digests
        if kind == "customer":
            return digest(self.salt, "customer", str(value)) in self.digests
        return digest(self.salt, "record", f"{kind}:{value}") in self.digests

    def record_hits(self, record: Mapping[str, Any], keys: Mapping[str, str]) -> bool:
        """A flat or nested record (dict) of a table with key columns ``keys`` (normalized names)."""
        for name, value in _flat(record):
            kind = keys.get(norm(name))
            if kind and self.key_hits(kind, value):
                return True
            if self.text_hits(value):
                return True
        return False

    def payload_hits(self, payload: Any, keys: Mapping[str, str], encoding: str | None = None) -> bool:
        """A quarantined payload (text, JSON when it parses; ``encoding`` base64: the original bytes, gzip or not)
        of a table with key columns ``keys``."""
        if encoding == "base64" and isinstance(payload, str):
            payload = payload_as_text(payload)
        if self.text_hits(payload):
            return True
        if isinstance(payload, str) and payload.lstrip()[:1] == "{":
            try:
                parsed = json.loads(payload)
            except ValueError:
                return False
            return isinstance(parsed, dict) and self.record_hits(parsed, keys)
        return False


def payload_as_text(payload: str) -> str:
    """The text inside a base64 payload (ingestion.quarantine keeps bytes that are not UTF-8 that way): decoded,
    gunzipped as far as the stream goes when it is gzip (a truncated file), undecodable bytes replaced."""
    import base64
    import zlib

    try:
        raw = base64.b64decode(payload)
    except ValueError:
        return payload
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = zlib.decompressobj(wbits=47).decompress(raw)
        except zlib.error:
            pass
    return raw.decode("utf-8", errors="replace")


def _flat(record: Mapping[str, Any], prefix: str = ""):
    for key, value in record.items():
        if isinstance(value, Mapping):
            yield from _flat(value, f"{prefix}{key}__")
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping):
                    yield from _flat(item, f"{prefix}{key}__")
                else:
                    yield f"{prefix}{key}", item
        else:
            # the key column is the last segment (traits.userId is a userId too)
            yield key, value

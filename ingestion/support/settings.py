"""Settings of the Zendesk Support source."""

#: Zendesk's cursor-based incremental exports allow up to 1000 items per page.
INCREMENTAL_PAGE_SIZE = 1000
#: List endpoints (satisfaction ratings) cap pages at 100.
LIST_PAGE_SIZE = 100

#: Start of time for the first export (Zendesk wants start_time >= 0).
INITIAL_UPDATED_AT = "1970-01-01T00:00:00Z"

#: Resource -> (path, data selector, pagination kind).
ENDPOINTS: dict[str, tuple[str, str, str]] = {
    "users": ("api/v2/incremental/users/cursor.json", "users", "incremental"),
    "tickets": ("api/v2/incremental/tickets/cursor.json", "tickets", "incremental"),
    "satisfaction_ratings": ("api/v2/satisfaction_ratings.json", "satisfaction_ratings", "list"),
}

#: Side-loads requested per resource (Zendesk "Side-loading": ``include=<name>`` adds a top-level array of
#: related records to each page). Resource -> (include name, key on the parent record, the sideloaded
#: record's reference to its parent, one record per parent or a list). The source attaches them to their
#: parent so they share its incremental cursor and merge key: ``metric_set`` becomes ``metric_set__*``
#: columns of ``tickets``, ``identities`` the child table ``users__identities``.
SIDELOADS: dict[str, tuple[str, str, str, bool]] = {
    "tickets": ("metric_sets", "metric_set", "ticket_id", False),
    "users": ("identities", "identities", "user_id", True),
}

#: Keys every object of a resource carries, with their JSON types (Zendesk API reference).
REQUIRED_KEYS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "users": {"id": int, "created_at": str, "updated_at": str},
    "tickets": {"id": int, "created_at": str, "updated_at": str, "requester_id": int},
    "satisfaction_ratings": {"id": int, "created_at": str, "updated_at": str},
}

#: Optional keys with the JSON types Zendesk documents (None is always allowed).
TYPED_KEYS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "users": {
        "name": str, "email": str, "phone": str, "role": str, "organization_id": int, "external_id": str,
        "tags": list, "user_fields": dict, "active": bool, "time_zone": str, "locale": str,
        "identities": list,
    },
    "tickets": {
        "subject": str, "description": str, "status": str, "priority": str, "type": str, "requester_id": int,
        "submitter_id": int, "assignee_id": int, "organization_id": int, "tags": list, "via": dict,
        "custom_fields": list, "satisfaction_rating": dict, "metric_set": dict,
    },
    "satisfaction_ratings": {
        "score": str, "ticket_id": int, "requester_id": int, "assignee_id": int, "group_id": int,
        "comment": str, "reason": str,
    },
}

#: Values Zendesk allows for enumerated fields.
ENUMS: dict[str, dict[str, frozenset[str]]] = {
    "users": {"role": frozenset({"end-user", "agent", "admin"})},
    "tickets": {
        "status": frozenset({"new", "open", "pending", "hold", "solved", "closed", "deleted"}),
        "priority": frozenset({"urgent", "high", "normal", "low"}),
        "type": frozenset({"problem", "incident", "question", "task"}),
    },
    "satisfaction_ratings": {"score": frozenset({"offered", "unoffered", "good", "bad"})},
}

#: Timestamp keys checked for parseability and for lying in the future.
TIMESTAMP_KEYS = ("created_at", "updated_at")

"""Settings of the SendGrid email-events source."""

#: Files the SendGrid Event Webhook batches are stored as (JSON arrays), anywhere under the bucket.
FILE_GLOB = "**/*.json"

#: Events per Arrow batch handed to dlt: large enough for Parquet throughput, small enough for memory.
BATCH_SIZE = 100_000

#: Keys every SendGrid event carries (Event Webhook reference), with their JSON types.
REQUIRED_KEYS: dict[str, type | tuple[type, ...]] = {
    "email": str,
    "timestamp": int,
    "event": str,
    "sg_event_id": str,
}

#: Optional keys whose type the vendor fixes.
TYPED_KEYS: dict[str, type | tuple[type, ...]] = {
    "sg_message_id": str,
    "category": (str, list),
    "url": str,
    "useragent": str,
    "ip": str,
    "reason": str,
    "status": str,
    "response": str,
    "attempt": (str, int),
    "type": str,
}

#: Event types of the SendGrid Event Webhook (delivery and engagement events).
EVENT_TYPES = frozenset(
    {
        "processed", "dropped", "delivered", "deferred", "bounce", "blocked",
        "open", "click", "spamreport", "unsubscribe", "group_unsubscribe", "group_resubscribe",
    }
)

#: Files handed to the reader in one page: effectively all files of a run.
FILES_PER_RUN = 10_000_000

"""Settings of the SendGrid email-events source."""

#: Files the SendGrid Event Webhook batches are stored as (JSON arrays), anywhere under the bucket.
FILE_GLOB = "**/*.json"

#: Bytes of files read per batch (about 75,000 events, one Arrow table handed to dlt): large enough for
#: DuckDB and Parquet throughput, small enough to bound the memory of a run.
BATCH_BYTES = 32 * 1024 * 1024

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
    "bounce_classification": str,
    "asm_group_id": int,
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

#: Event Webhook receiver (`c360 sendgrid-webhook`, ingestion/email/webhook.py).
#: Oldest signed timestamp accepted. SendGrid retries a failed POST for up to 24 hours after the event and does
#: not document re-signing retries, so a shorter window could refuse (and finally lose) a legitimate retry;
#: a replayed batch is harmless anyway (events are merged insert-only on sg_event_id).
WEBHOOK_MAX_AGE_SECONDS = 25 * 3600
#: Clock skew tolerated for a timestamp in the future.
WEBHOOK_MAX_SKEW_SECONDS = 300
#: Largest request body accepted (413 above it): SendGrid batches are far smaller; this bounds memory per request.
WEBHOOK_MAX_BODY_BYTES = 64 * 1024 * 1024
#: Folder (under the bucket) where bodies that are not a JSON array are kept; the email source reads them
#: too and quarantines them as ``unparseable``/``wrong_type``, so they are counted, never silently dropped.
WEBHOOK_REJECTED_DIR = "rejected"

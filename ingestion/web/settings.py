"""Settings of the Segment web-events source."""

#: Segment's S3/GCS destination writes gzipped JSON lines under segment-logs/<source_id>/<day_ms>/.
FILE_GLOB = "**/*.gz"

#: Compressed bytes of files read per batch (about 35,000 events: Segment events are ~1 KB of JSON, gzip
#: shrinks them ~4x): bounds the memory of a run.
BATCH_BYTES = 8 * 1024 * 1024

#: Files handed to the reader in one page: effectively all files of a run.
FILES_PER_RUN = 10_000_000

#: Segment event type -> raw table (Segment's own warehouse layout).
TABLES: dict[str, str] = {
    "identify": "identifies",
    "track": "tracks",
    "page": "pages",
    "screen": "screens",
    "group": "groups",
    "alias": "aliases",
}

#: Timestamp fields of the Segment spec (ISO-8601 strings); loaded as UTC timestamps.
TIMESTAMP_KEYS = ("timestamp", "originalTimestamp", "sentAt", "receivedAt")

#: Fields that must be JSON objects when present.
OBJECT_KEYS = ("context", "properties", "traits", "integrations")

#: Fields that must be strings when present.
STRING_KEYS = ("messageId", "userId", "anonymousId", "event", "name", "type", "groupId", "previousId")

#: The key of every raw table: Segment's ``messageId`` under the name dlt gives it (the reader emits dlt's names).
PRIMARY_KEY = "message_id"

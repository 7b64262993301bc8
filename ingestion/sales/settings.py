"""Settings of the sales (order database) source."""

#: Tables of the order database, parents first (samples/sales_db.py has the DDL).
TABLES: tuple[str, ...] = ("products", "customers", "orders", "order_items")

#: Rows per Arrow batch read from the database.
CHUNK_SIZE = 50_000

#: Every table has a surrogate key ``id`` and an ``updated_at`` maintained by the application.
PRIMARY_KEY = "id"
CURSOR = "updated_at"

#: Columns that must be set (the application never writes a row without them).
REQUIRED: dict[str, tuple[str, ...]] = {
    "products": ("id", "name", "price", "created_at", "updated_at"),
    "customers": ("id", "created_at", "updated_at"),
    "orders": ("id", "customer_id", "status", "currency", "total", "created_at", "updated_at"),
    "order_items": ("id", "order_id", "product_id", "quantity", "unit_price", "created_at", "updated_at"),
}

#: Columns that can never be negative (money) / must be positive (counts).
NON_NEGATIVE: dict[str, tuple[str, ...]] = {
    "products": ("price", "cost"),
    "customers": (),
    "orders": ("subtotal", "discount", "total"),
    "order_items": ("unit_price", "unit_cost"),
}
POSITIVE: dict[str, tuple[str, ...]] = {"order_items": ("quantity",)}

#: Timestamps / dates that cannot lie in the future (beyond the tolerance in ingestion.quarantine).
NOT_FUTURE: dict[str, tuple[str, ...]] = {
    "products": ("created_at", "updated_at"),
    "customers": ("created_at", "updated_at", "birth_date"),
    "orders": ("created_at", "updated_at"),
    "order_items": ("created_at", "updated_at"),
}

#: Values of enumerated columns: the order system's documented order life cycle.
ALLOWED_VALUES: dict[str, dict[str, tuple[str, ...]]] = {
    "orders": {"status": ("pending", "paid", "shipped", "completed", "refunded", "cancelled")},
}

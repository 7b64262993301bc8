"""How a batch reaches disk: the SQLite order database, Zendesk's jsonl files, and the spooled event sinks
that SendGrid and Segment files are written from; plus the fork that writes two event sources at once."""

from __future__ import annotations

import gc
import gzip
import json
import os
import pickle
import shutil
import sqlite3
import traceback
from array import array
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from samples import sales_db
from samples.generator.common import DAY, Batch, Rand, dumps, iso_z, n_malformed

if TYPE_CHECKING:
    from samples.generator.run import Generator


class SalesWriter:
    """Writes the sales rows of one batch to the SQLite file (insert or replace), ``chunk_rows`` rows at a time.

    Rows wait in memory only until ``chunk_rows`` of them are pending: a whole batch (millions of orders at
    1M customers) never sits in memory. A row handed over stays open to changes until its chunk is flushed;
    later changes go through :meth:`patch`, which reads the row back from the file. Every table's id is its
    rowid, so the file's content does not depend on the chunk size (a test checks it).
    """

    COLS = {t.name: [c.name for c in t.columns] for t in sales_db.TABLES}

    def __init__(self, path: Path, initial: bool, chunk_rows: int = 50_000) -> None:
        self.path = path
        self.chunk_rows = chunk_rows
        if initial:
            if path.exists():
                path.unlink()
            engine = sales_db.create_schema(sales_db.sqlite_url(path))
            engine.dispose()
        self.con = sqlite3.connect(path)
        self.pending: dict[str, dict[int, dict]] = {t: {} for t in self.COLS}
        self.n_pending = 0
        #: ids of this batch's new orders and items, in creation order (corrupt_orders samples among them)
        self.new_order_ids = array("q")
        self.new_item_ids = array("q")
        #: customers written in this batch (new or updated): an update of one of them is not counted again
        self.batch_customers: set[int] = set()

    def _put(self, table: str, row: dict) -> None:
        if row["id"] not in self.pending[table]:
            self.n_pending += 1
        self.pending[table][row["id"]] = row
        if self.n_pending >= self.chunk_rows:
            self.flush()

    def _load(self, table: str, rid: int) -> dict | None:
        if rid in self.pending[table]:
            return self.pending[table][rid]
        cols = self.COLS[table]
        rec = self.con.execute(f"select {', '.join(cols)} from {table} where id = ?", (rid,)).fetchone()
        return None if rec is None else dict(zip(cols, rec))

    def exists(self, cid: int) -> bool:
        return self._load("customers", cid) is not None

    def product(self, row: dict, b: Batch) -> None:
        self._put("products", row)
        b.count("sales.products")

    def customer(self, row: dict, b: Batch) -> None:
        self.batch_customers.add(row["id"])
        self._put("customers", row)
        b.count("sales.customers")

    def order(self, row: dict, b: Batch) -> None:
        self.new_order_ids.append(row["id"])
        self._put("orders", row)
        b.count("sales.orders")

    def item(self, row: dict, b: Batch) -> None:
        self.new_item_ids.append(row["id"])
        self._put("order_items", row)
        b.count("sales.order_items")

    def load_customer(self, cid: int) -> dict:
        row = self._load("customers", cid)
        assert row is not None, f"customer {cid} was never written"
        return row

    def update_customer(self, row: dict, b: Batch) -> None:
        if row["id"] not in self.batch_customers:
            self.batch_customers.add(row["id"])
            b.count("sales.customers", updated=True)
        self._put("customers", row)

    def patch(self, table: str, rid: int, change: Callable[[dict], None]) -> dict:
        """Apply ``change`` to a row of this batch, pending or already flushed; return the changed row."""
        row = self._load(table, rid)
        assert row is not None, f"{table} {rid} was never written"
        change(row)
        self._put(table, row)
        return row

    def open_orders(self, rng: Rand, malformed: set[int]) -> list[dict]:
        cols = self.COLS["orders"]
        cur = self.con.execute(
            f"select {', '.join(cols)} from orders where status in ('pending', 'paid', 'shipped', 'completed') order by id")
        out = []
        for rec in cur:  # streamed: most orders are completed and few of them are drawn
            row = dict(zip(cols, rec))
            if row["id"] in malformed:
                continue
            p = {"pending": 0.5, "paid": 0.45, "shipped": 0.3, "completed": 0.0015}[row["status"]]
            if rng.random() < p:
                out.append(row)
        return out

    def update_order(self, row: dict, b: Batch) -> None:
        b.count("sales.orders", updated=True)
        self._put("orders", row)

    def flush(self) -> None:
        with self.con:
            for table, rows in self.pending.items():
                cols = self.COLS[table]
                sql = f"insert or replace into {table} ({', '.join(cols)}) values ({', '.join('?' * len(cols))})"
                self.con.executemany(sql, ([r.get(c) for c in cols] for r in sorted(rows.values(), key=lambda r: r["id"])))
        self.pending = {t: {} for t in self.COLS}
        self.n_pending = 0

    def close(self) -> None:
        self.flush()
        self.con.close()


class SupportWriter:
    """Holds the Zendesk objects (current state) and rewrites the jsonl files."""

    FILES = ("users", "tickets", "satisfaction_ratings")

    def __init__(self, folder: Path, initial: bool, lives: dict[str, dict] | None = None) -> None:
        self.folder = folder
        lives = lives or {}
        folder.mkdir(parents=True, exist_ok=True)
        self.users: dict[int, dict] = {}
        self.tickets: dict[int, dict] = {}
        self.ratings: dict[int, dict] = {}
        self.new_ticket_ids: list[int] = []
        self.new_rating_ids: list[int] = []
        self.updated_users: set[int] = set()
        self.updated_tickets: set[int] = set()
        # A new ticket is final once created (only corrupt_tickets breaks a few of them), so its JSON goes to
        # a spool file at once and memory keeps its life only; offsets find the few that are read back.
        self.spool_path = folder / ".tickets-new.spool"
        self.spool = open(self.spool_path, "w+b")
        self.spool_offsets: dict[int, tuple[int, int]] = {}
        #: user id -> its Zendesk identities, for the users that have more than the primary ones
        self.identities: dict[int, list[dict]] = {}
        if not initial:
            identities = folder / "user_identities.jsonl"
            for line in identities.read_text(encoding="utf-8").splitlines() if identities.exists() else ():
                i = json.loads(line)
                self.identities.setdefault(i["user_id"], []).append(i)
            for line in (folder / "users.jsonl").read_text(encoding="utf-8").splitlines():
                u = json.loads(line)
                self.users[u["id"]] = u
            for line in (folder / "tickets.jsonl").read_text(encoding="utf-8").splitlines():
                t = json.loads(line)
                self.tickets[t["id"]] = {"ticket": t, **lives[str(t["id"])]}
            for line in (folder / "satisfaction_ratings.jsonl").read_text(encoding="utf-8").splitlines():
                r = json.loads(line)
                self.ratings[r["id"]] = r

    def user(self, u: dict, b: Batch) -> None:
        self.users[u["id"]] = u
        b.count("support.users")

    def touch_user(self, uid: int, ts: int, b: Batch) -> None:
        self.users[uid]["updated_at"] = iso_z(ts)
        if uid not in self.updated_users:
            self.updated_users.add(uid)
            b.count("support.users", updated=True)

    def add_ticket(self, tid: int, b: Batch) -> None:
        self.new_ticket_ids.append(tid)
        b.count("support.tickets")

    def settle_ticket(self, tid: int) -> None:
        """Move a new ticket's JSON out of memory (its life stays: later batches advance it)."""
        data = dumps(self.tickets[tid].pop("ticket")).encode() + b"\n"
        self.spool_offsets[tid] = (self.spool.tell(), len(data))
        self.spool.write(data)

    def ticket(self, tid: int) -> dict:
        """A ticket to change: from memory, or read back from the spool (and kept in memory from then on)."""
        entry = self.tickets[tid]
        if "ticket" not in entry:
            entry["ticket"] = json.loads(self._spooled(tid))
            del self.spool_offsets[tid]
        return entry["ticket"]

    def _spooled(self, tid: int) -> bytes:
        offset, size = self.spool_offsets[tid]
        self.spool.seek(offset)
        data = self.spool.read(size)
        self.spool.seek(0, os.SEEK_END)
        return data

    def touch_ticket(self, tid: int, b: Batch) -> None:
        if tid not in self.updated_tickets and tid not in self.new_ticket_ids:
            self.updated_tickets.add(tid)
            b.count("support.tickets", updated=True)

    def add_rating(self, r: dict, b: Batch) -> None:
        self.ratings[r["id"]] = r
        self.new_rating_ids.append(r["id"])
        b.count("support.satisfaction_ratings")

    def lifecycle_state(self) -> dict[str, Any]:
        return {str(tid): {k: v for k, v in e.items() if k != "ticket"} for tid, e in self.tickets.items()}

    def close(self, b: Batch) -> None:
        def write(name: str, objs: Iterable[dict | str]) -> None:
            with open(self.folder / f"{name}.jsonl", "w", encoding="utf-8") as fh:
                for obj in objs:
                    fh.write(obj if isinstance(obj, str) else dumps(obj) + "\n")

        def tickets() -> Iterable[dict | str]:
            for k in sorted(self.tickets):
                yield self.tickets[k]["ticket"] if k not in self.spool_offsets else self._spooled(k).decode()

        write("users", (self.users[k] for k in sorted(self.users)))
        write("tickets", tickets())
        write("satisfaction_ratings", (self.ratings[k] for k in sorted(self.ratings)))
        write("user_identities", (i for k in sorted(self.identities) for i in self.identities[k]))
        self.spool.close()
        self.spool_path.unlink()


class EventSink:
    """One batch of events of one source: messiness applied per event, spooled to disk by arrival day
    (millions of events never sit in memory), then written as the vendor's files, day by day.

    Producers ``append([arrival_ms, timestamp_ms, event_dict, *identifiers])``. Each event may arrive
    late (batch 0: lands days after its timestamp; increments: its timestamp lies days before the window)
    and may be delivered twice (at-least-once: the very same JSON again, same or later file). At the end,
    malformed clones of real events are added (they never hold the only copy of an identifier).
    """

    table = ""

    def __init__(self, gen: Generator, b: Batch, initial: bool) -> None:
        self.gen, self.b, self.initial, self.m = gen, b, initial, gen.m
        self.rng = Rand(f"{gen.seed}/{b.number}/{self.table}/sink")
        self.spool = gen.out / f".spool-{self.table}"
        clear_folder(self.spool)
        self.spool.mkdir(parents=True)
        self.buffers: dict[int, list[str]] = {}
        self.buffered = 0
        self.n = 0
        self.reservoir: list[str] = []
        self.lo, self.hi = b.start * 1000, b.end * 1000

    # -- producing
    def append(self, item: list) -> None:
        arrival, ts, obj = item[0], item[1], item[2]
        if not (self.lo <= arrival < self.hi and ts < self.hi):
            return
        rng, m = self.rng, self.m
        if rng.chance(m.late_event):
            delay = rng.randint(1, 5) * DAY * 1000 + rng.randint(0, DAY * 1000)
            if self.initial:
                if min(arrival + delay, self.hi - 1000) - ts >= DAY * 1000:
                    arrival = min(arrival + delay, self.hi - 1000)
                    self.late_arrival(obj, arrival)
                    self.b.late[self.table] += 1
            else:
                ts -= delay
                self.late_timestamp(obj, ts)
                self.b.late[self.table] += 1
        text = dumps(obj)
        self.put(arrival, ts, text)
        self.n += 1
        self.identify(item)
        if rng.chance(m.duplicate_event):
            again = arrival if rng.random() < 0.5 else min(arrival + rng.randint(1000, DAY * 1000), self.hi - 1)
            self.put(again, ts, text)
            self.b.count(self.table, 1, duplicate=True)
        # reservoir sample: the originals of the malformed clones
        if len(self.reservoir) < 4096:
            self.reservoir.append(f"{arrival}\t{ts}\t{text}")
        else:
            j = rng.randrange(self.n)
            if j < 4096:
                self.reservoir[j] = f"{arrival}\t{ts}\t{text}"

    def put(self, arrival: int, ts: int, text: str) -> None:
        day = arrival // (DAY * 1000)
        self.buffers.setdefault(day, []).append(f"{arrival}\t{ts}\t{text}\n")
        self.buffered += 1
        if self.buffered >= 200_000:
            self.flush()

    def flush(self) -> None:
        # Compressed (one gzip member per flush): at 1M customers the raw spool would take ~40 GB of disk
        # beside the sample itself; level 1 shrinks it ~6x for little CPU.
        for day, lines in self.buffers.items():
            with gzip.open(self.spool / f"{day}.tsv.gz", "at", encoding="utf-8", compresslevel=1) as fh:
                fh.writelines(lines)
        self.buffers = {}
        self.buffered = 0

    # -- finishing
    def finish(self) -> None:
        self.b.count(self.table, self.n)
        k = n_malformed(self.m, self.n)
        if k and self.reservoir:
            for kind in ("wrong_type", "missing_key", "future_timestamp"):
                for _ in range(k):
                    arrival, ts, text = self.rng.choice(self.reservoir).split("\t", 2)
                    self.put(int(arrival), int(ts), dumps(self.break_record(kind, json.loads(text))))
                    self.b.count(self.table, 1, malformed=kind)
            self.unparseable(k)
        self.flush()
        for path in sorted(self.spool.glob("*.tsv.gz"), key=lambda p: int(p.name.split(".")[0])):
            rows = []
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                for line in fh:
                    arrival, ts, text = line.rstrip("\n").split("\t", 2)
                    rows.append((int(arrival), int(ts), text))
            rows.sort(key=lambda r: (r[0], r[1]))
            self.write_day(int(path.name.split(".")[0]), rows)
            path.unlink()  # the day is written: its spool no longer takes disk beside it
        clear_folder(self.spool)

    # -- per source
    def late_arrival(self, obj: dict, arrival: int) -> None:
        pass

    def late_timestamp(self, obj: dict, ts: int) -> None:
        raise NotImplementedError

    def identify(self, item: list) -> None:
        raise NotImplementedError

    def break_record(self, kind: str, obj: dict) -> dict:
        raise NotImplementedError

    def unparseable(self, k: int) -> None:
        raise NotImplementedError

    def write_day(self, day: int, rows: list[tuple[int, int, str]]) -> None:
        raise NotImplementedError


def fork(work: Any) -> Any:
    """Run ``work()`` in a forked child (POSIX) and return a function that waits for its result."""
    if not hasattr(os, "fork"):
        result = work()
        return lambda: result
    read_fd, write_fd = os.pipe()
    # Pages stay shared with the child only while nobody writes them; a collection writes into the header of
    # every object it scans, so the objects alive now are frozen (left out of collections) until the child ends.
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        try:
            payload = pickle.dumps(("ok", work()))
        except BaseException:  # noqa: BLE001 - report everything to the parent
            payload = pickle.dumps(("error", traceback.format_exc()))
        with os.fdopen(write_fd, "wb") as fh:
            fh.write(payload)
        os._exit(0)
    os.close(write_fd)

    def wait() -> Any:
        with os.fdopen(read_fd, "rb") as fh:
            data = fh.read()
        os.waitpid(pid, 0)
        gc.unfreeze()
        status, value = pickle.loads(data) if data else ("error", "the SendGrid writer process died")
        if status != "ok":
            raise RuntimeError(f"writing the SendGrid files failed:\n{value}")
        return value

    return wait


def clear_folder(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)

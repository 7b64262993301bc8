"""Sample source systems for c360: a sales order database, Zendesk, SendGrid and Segment, plus ground truth.

``generate(out, customers, seed)`` writes the four systems in their vendors' formats (layout in
docs/contracts.md section 1), ``truth.csv`` (which person every identifying record belongs to) and
``manifest.json`` (exact counts per table, malformed records per kind, duplicates, updates, bridges).
``generate(..., increment=True)`` adds the next increment onto an existing folder.

Reproducible: every random draw comes from RNGs seeded with (seed, batch); times are anchored to a reference
time (00:00 UTC of the reference date for batch 0, one day later per increment). The reference date is today
unless given (``reference_date=`` / ``c360 generate --reference-date``), so a fresh sample ends the day it is
generated; the same seed and reference date give byte-identical files.

Design of the people model: each person has one true name, birth date, address, phone and one or two
e-mail addresses. Records in the sources render these with realistic variation (:class:`common.Messiness`),
but every record of a person stays discoverable from what records really share (normalised e-mail or phone,
the sales customer id in Segment ``userId`` / Zendesk ``external_id``, an ``anonymousId`` seen together with
a ``userId``, name + birth date, name + postal code + street). The exception are deliberate *pending
bridges* (a dormant cookie, a Zendesk user under a work address): separate until an increment links them,
listed in the manifest under ``bridges``.

One module per concern: ``common`` (time frame, messiness, RNG, batch counts), ``people`` (the people model
and who gets which identity records), ``sales``, ``support`` (Zendesk), ``email`` (SendGrid), ``web``
(Segment), ``writers`` (how records reach disk) and ``run`` (a batch from start to end, and ``generate``);
the hard profile (``profile="hard"``) adds ``households`` (twins, same-name parents and children, spouses
sharing an e-mail, landline or computer, company mailboxes, movers, alias-only cookies, must_not_merge.csv)
and ``hard`` (how its records render names, birth dates, addresses and Zendesk names).
"""

from samples.generator.run import generate

__all__ = ["generate"]

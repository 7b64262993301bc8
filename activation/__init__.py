"""Activation: segments of the published marts leave the warehouse in a form other tools import.

``c360 export segment NAME`` (or ``--where "SQL"``) writes the customers of a segment as a SendGrid Marketing
Contacts CSV plus a generic CSV and Parquet file, leaving out everyone who must not be emailed, and records the
export in the warehouse table ``activation.exports``. See :mod:`activation.export`.
"""

from activation.export import ExportError, ExportResult, export_segment

__all__ = ["ExportError", "ExportResult", "export_segment"]

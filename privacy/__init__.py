"""Personal data: erasure (`c360 erase`, tombstones honoured by every load) and least exposure (masked
publication, masked report examples). See docs/readme/privacy.md."""

from privacy.identifiers import mask_pii

__all__ = ["mask_pii"]

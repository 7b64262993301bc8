"""The CSV layout SendGrid Marketing Campaigns imports as contacts.

SendGrid's "Formatting a CSV" page (Marketing Campaigns, current version) and its sample file: a header row of
field names (letters, digits and underscores only), one identifier column — ``email``, ``phone_number_id``,
``external_id`` or ``anonymous_id`` — and the reserved fields ``first_name``, ``last_name``, ``address_line_1``,
``address_line_2``, ``city``, ``state_province_region``, ``postal_code``, ``country`` and ``phone_number``
(E.164). Columns named like the reserved fields map without any manual mapping in the upload dialog; anything
else would be a custom field that has to exist in the account first, so this file carries reserved fields only.

``external_id`` is the c360 customer id: a second identifier SendGrid stores with the contact, so the contact
can be matched back to the warehouse (SendGrid requires only one of the identifiers given to be unique).
"""

from __future__ import annotations

#: SendGrid field -> the SQL expression over the exported customer row (customer_360 columns). Order = the file.
COLUMNS: dict[str, str] = {
    "email": "email",
    "first_name": "first_name",
    "last_name": "last_name",
    "address_line_1": "street",
    "address_line_2": "null",
    "city": "city",
    "state_province_region": "null",
    "postal_code": "postal_code",
    "country": "country",
    # customer_360.phone is E.164 already (dbt macro normalize_phone), the format SendGrid requires.
    "phone_number": "phone",
    "external_id": "customer_id",
}

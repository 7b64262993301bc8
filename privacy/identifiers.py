"""Finding, normalizing and masking personal identifiers in values and free text.

Erasure and masking must recognise a person's email and phone in whatever form a vendor wrote them, also
inside a quarantined payload (which is raw text). Emails are compared as the mailbox they deliver to, the
way the dbt macro ``normalize_email`` does (lower case, ``mailto:``/``<>`` removed, a ``+tag`` dropped, Gmail
dots ignored). Phones are compared by their **last nine digits** after an extension is dropped: that is the
national significant number (or all of it) in every country the warehouse normalizes, so ``+1 512-419-7795``,
``(512) 419 7795`` and ``001 512 4197795`` agree without knowing the record's country (which a quarantined
payload may not have). Nine digits are enough that two different people sharing them is negligible.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Iterable

#: Anything shaped like local@domain.tld inside a longer text.
EMAIL_RE = re.compile(r"(?:mailto:)?<?[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+>?")
#: A run of digits with the separators people write phones with; the digits are counted afterwards.
PHONE_RE = re.compile(r"(?<![\w.:-])(?:\+|00)?\(?\d[\d\s().\-/]{5,22}\d(?:\s*(?:x|ext\.?|extension)\s*\d+)?(?![\w:])")
_EXTENSION_RE = re.compile(r"\s*(?i:x|ext\.?|extension)\s*\d+\s*$")
_DATE_LIKE_RE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")
PHONE_KEY_DIGITS = 9


def canonical_email(text: Any) -> str | None:
    """The mailbox ``text`` delivers to (as the dbt macro email_canonical), or None if it is no email."""
    if not isinstance(text, str):
        return None
    cleaned = re.sub(r"^<|>$", "", re.sub(r"^mailto:", "", text.strip().lower()))
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s.]+", cleaned):
        return None
    local, domain = cleaned.split("@", 1)
    local = local.split("+", 1)[0]
    if domain == "googlemail.com":
        domain = "gmail.com"
    if domain == "gmail.com":
        local = local.replace(".", "")
    return f"{local}@{domain}" if local else None


def phone_key(text: Any) -> str | None:
    """The last nine digits of a phone number (extension dropped), or None if it has fewer than 7 or more than 15."""
    if isinstance(text, (int,)) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str):
        return None
    digits = re.sub(r"\D", "", _EXTENSION_RE.sub("", text))
    if not 7 <= len(digits) <= 15:
        return None
    return digits[-PHONE_KEY_DIGITS:]


def emails_in(text: str) -> set[str]:
    """Canonical forms of every email written in ``text``."""
    found = set()
    if "@" in text:
        for match in EMAIL_RE.finditer(text):
            email = canonical_email(match.group(0))
            if email:
                found.add(email)
    return found


def phone_keys_in(text: str) -> set[str]:
    """Phone keys of every phone-like digit run in ``text`` (dates and times are not phones)."""
    found = set()
    for match in PHONE_RE.finditer(text):
        token = match.group(0)
        if _DATE_LIKE_RE.match(token):
            continue
        key = phone_key(token)
        if key:
            found.add(key)
    return found


def identifiers_in(value: Any) -> tuple[set[str], set[str]]:
    """(emails, phone keys) found in a value: a string, a number, or a nested dict/list of them."""
    emails: set[str] = set()
    phones: set[str] = set()
    for text in _strings(value):
        emails |= emails_in(text)
        phones |= phone_keys_in(text)
    return emails, phones


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, int) and not isinstance(value, bool) and value > 999_999:
        yield str(value)  # a phone stored as a number


def digest(salt: str, kind: str, value: str) -> str:
    """The salted hash a tombstone keeps instead of the value: sha256 of salt, kind and value."""
    return hashlib.sha256(f"{salt}\x00{kind}\x00{value}".encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------- masking

#: Keys whose values are personal data whatever they look like (names, addresses, birth dates).
PII_KEYS = re.compile(
    r"(^|_|\b)(e-?mail|phone|mobile|street|address|address1|address2|postal_code|postcode|zip|zipcode|"
    r"birth_?date|birthday|dob|first_?name|last_?name|name|full_?name|ip)$", re.IGNORECASE)
MASK = "***"


def mask_pii(text: Any) -> Any:
    """``text`` with personal data masked, for reports and examples shown to people who need no PII.

    A JSON payload keeps its shape: values of personal keys (email, phone, name, address, birth date, ip) become
    ``***``; in any other text, every email becomes ``***@domain`` and every phone-like number ``***`` plus its
    last two digits (enough to tell two examples apart, not to call anyone). Non-text values pass through.
    """
    if not isinstance(text, str) or not text:
        return text
    stripped = text.strip()
    if stripped[:1] in "{[":
        try:
            parsed = json.loads(stripped)
        except ValueError:
            pass
        else:
            return json.dumps(_mask_json(parsed), ensure_ascii=False, separators=(",", ":"))
    return _mask_text(text)


def _mask_json(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _mask_json(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_json(v, key) for v in value]
    if value is not None and key and PII_KEYS.search(key.replace("-", "_")) and not isinstance(value, bool):
        return MASK
    if isinstance(value, str):
        return _mask_text(value)
    return value


def _mask_text(text: str) -> str:
    text = EMAIL_RE.sub(lambda m: MASK + "@" + m.group(0).rsplit("@", 1)[1].rstrip(">"), text)

    def phone(m: re.Match[str]) -> str:
        token = m.group(0)
        if _DATE_LIKE_RE.match(token) or phone_key(token) is None:
            return token
        return MASK + re.sub(r"\D", "", token)[-2:]

    return PHONE_RE.sub(phone, text)

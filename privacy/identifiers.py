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
# One masking for every place a person may read examples (steward page, reports): by field name in JSON, by
# shape (emails, phone-like digit runs, `name=value` pairs with a personal field name) in any other text.

#: Field names whose values are personal data (matched as a part of the name: `traits__email`, `billing_address`).
PII_FIELDS = re.compile(r"e-?mail|phone|mobile|fax|name|address|street|line_?[12]|city|zip|postal|postcode|"
                        r"birth|ip$|^ip_|ssn|iban|card", re.I)
_MASK_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_MASK_PHONE = re.compile(r"\+?\(?\d[\d ().-]{5,}\d")
#: `name=Maria Lopez`, `"email": "x"`, `phone: 555` in text that is not valid JSON (broken or truncated payloads).
_KEYED = re.compile(r"(?P<key>[\w-]*(?:" + PII_FIELDS.pattern + r")[\w-]*)(?P<sep>[\"']?\s*[=:]\s*[\"']?)"
                    r"(?P<value>[^;,&\"'\n<>{}]+)", re.I)
#: A date or time is not a phone number, though it has the shape of one.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}")


def mask_email(text: str) -> str:
    local, _, domain = text.partition("@")
    tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
    return f"{local[:1]}***@***" + (f".{tld}" if tld else "")


def mask_text(text: str) -> str:
    """Free text: ``name=value`` pairs with a personal field name, email addresses and phone-like digit runs
    masked (the last two digits stay)."""
    text = _KEYED.sub(lambda m: m.group("key") + m.group("sep") + (m.group("value")[:1] + "***"), text)
    text = _MASK_EMAIL.sub(lambda m: mask_email(m.group()), text)
    return _MASK_PHONE.sub(lambda m: m.group() if _DATE.match(m.group()) else "***" + re.sub(r"\D", "", m.group())[-2:],
                           text)


def mask_value(key: str, value: Any) -> Any:
    """A JSON value under ``key``, masked: personal fields by name, any other text by shape."""
    if isinstance(value, dict):
        return {k: mask_value(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(key, v) for v in value]
    if value is None or isinstance(value, bool):
        return value
    if PII_FIELDS.search(key):
        text = str(value)
        if "@" in text:
            return mask_email(text)
        if re.sub(r"\D", "", text) and _MASK_PHONE.fullmatch(text.strip()):
            return "***" + re.sub(r"\D", "", text)[-2:]
        return (text[:1] + "***") if text else text
    return mask_text(value) if isinstance(value, str) else value


def mask_pii(text: Any) -> Any:
    """``text`` with personal data masked, for anything shown to people who need no PII (quarantine examples,
    failing-row examples): a JSON document keeps its shape with personal fields masked; other text is masked by
    shape. Non-text values pass through."""
    if not isinstance(text, str) or not text:
        return text
    try:
        return json.dumps(mask_value("", json.loads(text)), ensure_ascii=False, default=str)
    except (ValueError, TypeError):
        return mask_text(text)

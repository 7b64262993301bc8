"""Authentication as Zendesk does it, and where the server's token comes from."""

from __future__ import annotations

import base64
import binascii
import hmac
import os

#: dlt's environment name for ``sources.support.api_token``: the same secret the support source uses.
TOKEN_ENV = "SOURCES__SUPPORT__API_TOKEN"


def authenticated(header: str | None, token: str) -> bool:
    """Whether an Authorization header carries ``token`` (API token as Basic, or an OAuth Bearer token)."""
    if not header:
        return False
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return hmac.compare_digest(credentials.encode(), token.encode())
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, sep, password = decoded.partition(":")
        # API token auth: the user is "{email}/token"; Zendesk matches the email to an agent,
        # here any non-empty email is accepted.
        if not sep or not user.endswith("/token") or len(user) <= len("/token"):
            return False
        return hmac.compare_digest(password.encode(), token.encode())
    return False


def token_from_settings() -> str | None:
    """The API token from SOURCES__SUPPORT__API_TOKEN, else from dlt's secrets (sources.support.api_token)."""
    token = os.environ.get(TOKEN_ENV)
    if token:
        return token
    try:
        import dlt

        value = dlt.secrets.get("sources.support.api_token")
    except Exception:  # no dlt or no secrets file: the env var is the documented way
        return None
    return str(value) if value else None

"""Authentication as Zendesk does it, and where the server's tokens come from.

Zendesk documents exactly two header forms for API clients: an API token is HTTP Basic
``{email}/token:{api_token}``, an OAuth access token is ``Bearer {access_token}``. An API token sent as Bearer
is refused (401), as is anything else; so a client that gets either form wrong fails here as it would on a real
account.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os

from c360.settings import SOURCES

#: dlt's environment names of ``sources.support.api_token`` / ``oauth_token``: the secrets the source uses.
TOKEN_ENV = SOURCES["support"].env("api_token")
OAUTH_TOKEN_ENV = SOURCES["support"].env("oauth_token")


def _same(given: str, expected: str | None) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), str(expected).encode())


def authenticated(header: str | None, api_token: str | None, oauth_token: str | None = None) -> bool:
    """Whether an Authorization header is the API token as Basic ``{email}/token:{api_token}`` or the OAuth
    access token as Bearer."""
    if not header:
        return False
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return _same(credentials, oauth_token)
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, sep, password = decoded.partition(":")
        # API token auth: the user is "{email}/token"; Zendesk matches the email to an agent,
        # here any non-empty email is accepted. Password auth (email:password) is not offered.
        if not sep or not user.endswith("/token") or len(user) <= len("/token"):
            return False
        return _same(password, api_token)
    return False


def _from_settings(env: str, key: str) -> str | None:
    value = os.environ.get(env)
    if value:
        return value
    try:
        import dlt

        secret = dlt.secrets.get(key)
    except Exception:  # no dlt or no secrets file: the env var is the documented way
        return None
    return str(secret) if secret else None


def token_from_settings() -> str | None:
    """The API token from SOURCES__SUPPORT__API_TOKEN, else from dlt's secrets (sources.support.api_token)."""
    return _from_settings(TOKEN_ENV, "sources.support.api_token")


def oauth_token_from_settings() -> str | None:
    """The OAuth access token from SOURCES__SUPPORT__OAUTH_TOKEN, else sources.support.oauth_token."""
    return _from_settings(OAUTH_TOKEN_ENV, "sources.support.oauth_token")

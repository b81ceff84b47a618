"""Snowflake credentials sent with a run: checked, then reduced to their public half.

Secrets (password, private key, its passphrase) are write-only: they are checked for presence and dropped
here, so no store row, response or log can ever carry them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockingjob.kit import ApiError

SECRETS = {"snowflakePassword": "Basic", "snowflakeKeyPairKey": "KeyPair", "snowflakeKeyPairPass": "KeyPair"}
REQUIRED = {"Basic": ("snowflakeUsername", "snowflakePassword"),
            "KeyPair": ("snowflakeUsername", "snowflakeKeyPairKey"), "OAuth": ()}


@dataclass(frozen=True)
class PublicCredentials:
    auth_type: str
    username: str | None
    role: str | None
    warehouse: str | None


def combination_problem(credentials: Any) -> str | None:
    """Why `credentials` is not a valid combination for its auth type, in words; None if it is."""
    if not isinstance(credentials, dict):
        return "userCredentials must be an object"
    auth = credentials.get("snowflakeAuthType", "Basic")
    if not isinstance(auth, str) or auth not in REQUIRED:
        return "snowflakeAuthType must be one of Basic, KeyPair, OAuth"
    missing = [name for name in REQUIRED[auth] if not credentials.get(name)]
    if missing:
        return f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} required for {auth} authentication"
    for name, owner in SECRETS.items():
        if name in credentials and owner != auth:
            return f"{name} cannot be used with {auth} authentication"
    return None


def public_part(credentials: dict[str, Any] | None, oauth_enabled: bool, environment_id: str) -> PublicCredentials:
    """Check `credentials` against the environment and keep only what may be shown (no secret)."""
    if credentials is None:
        if not oauth_enabled:
            raise ApiError(400, f"userCredentials are required: environment {environment_id} has no OAuth "
                                "connection")
        return PublicCredentials("OAuth", None, None, None)
    problem = combination_problem(credentials)
    if problem:
        raise ApiError(400, problem)
    auth = credentials.get("snowflakeAuthType", "Basic")
    if auth == "OAuth" and not oauth_enabled:
        raise ApiError(400, f"OAuth is not configured for environment {environment_id}")
    return PublicCredentials(auth, credentials.get("snowflakeUsername"), credentials.get("snowflakeRole"),
                             credentials.get("snowflakeWarehouse"))

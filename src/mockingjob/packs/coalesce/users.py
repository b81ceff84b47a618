"""Who a request comes from: Coalesce records the user whose access token started a run (``userID``).

The mock has no user accounts, so the user of a token is a stable ID derived from it: the same token always
makes the same user, and no answer can show the token itself (only a digest of it, cut to the length of
Coalesce's user IDs).
"""

from __future__ import annotations

import hashlib

from mockingjob.kit import Call

USER_ID_LENGTH = 28  # Coalesce's user IDs (Firebase UIDs) are 28 characters long


def user_of(call: Call) -> str:
    """The user ID of the request's bearer token (authentication has checked that there is one)."""
    header = call.header("Authorization") or ""
    token = header.split(None, 1)[1].strip() if len(header.split(None, 1)) == 2 else header
    return hashlib.sha256(f"coalesce-user:{token}".encode()).hexdigest()[:USER_ID_LENGTH]

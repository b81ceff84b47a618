"""The Coalesce API in process at its real paths, on a manual clock, reset to EPOCH before every test."""

from __future__ import annotations

from tests.support import api_fixtures

coalesce_mock, mock, client = api_fixtures("coalesce")

"""The Trifacta API alone, at its real paths, on a manual clock; reset to the fixtures before every test."""

from __future__ import annotations

from tests.support import api_fixtures

trifacta_mock, mock, client = api_fixtures("trifacta")

"""The Marquez API in process at its real root paths, on a manual clock, reset before every test."""

from __future__ import annotations

from tests.support import api_fixtures

marquez_mock, mock, client = api_fixtures("marquez")

"""`mockingjob check coalesce`: the spec is valid, every operation has a handler, and every document the
fixtures produce (now and once the runs in flight have finished) fits the spec's schemas."""

from __future__ import annotations

from mockingjob.check import check_pack
from mockingjob.core.registry import load
from tests.conftest import EPOCH


def test_the_coalesce_pack_passes_its_checks():
    assert [str(problem) for problem in check_pack(load("coalesce"), EPOCH)] == []

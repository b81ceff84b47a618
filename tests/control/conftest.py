from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockingjob.core.config import Config
from mockingjob.live import LiveServer


@pytest.fixture(scope="module")
def mockingjob_live_url() -> Iterator[str]:
    """A real server on a free port (Scale only, manual clock), for tests that need TCP."""
    with LiveServer(Config(apis=["scale"], speed=0, mount="prefix")) as url:
        yield url

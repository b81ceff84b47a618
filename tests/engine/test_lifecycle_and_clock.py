"""The clock and lifecycle rules every pack relies on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from mockingjob.core.clock import Clock
from mockingjob.core.lifecycle import Phase, Plan, sql_state
from mockingjob.core.store import Store, UtcDateTime
from mockingjob.core.timeutil import format_iso, parse_duration

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PLAN = Plan((Phase("QUEUED", 5), Phase("RUNNING", 30)), "COMPLETED")


def test_state_follows_the_plan_as_time_passes() -> None:
    timeline = PLAN.schedule(T0)
    assert timeline.state_at(T0) == "QUEUED"
    assert timeline.state_at(T0 + timedelta(seconds=5)) == "RUNNING"
    assert timeline.state_at(T0 + timedelta(seconds=35)) == "COMPLETED"
    assert timeline.entered("RUNNING", T0 + timedelta(seconds=1)) is None
    assert timeline.last_change(T0 + timedelta(seconds=40)) == T0 + timedelta(seconds=35)


def test_the_sql_state_agrees_with_the_python_state() -> None:
    store = Store()
    runs = sa.Table("runs", store.metadata, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("queued", UtcDateTime), sa.Column("started", UtcDateTime),
                    sa.Column("ended", UtcDateTime), sa.Column("outcome", sa.String(20)))
    store.create_tables()
    timeline = PLAN.schedule(T0)
    steps = dict(timeline.steps)
    with store.begin() as conn:
        conn.execute(runs.insert().values(id=1, queued=steps["QUEUED"], started=steps["RUNNING"],
                                          ended=steps["COMPLETED"], outcome="COMPLETED"))
        for seconds in (0, 4, 5, 20, 35, 100):
            now = T0 + timedelta(seconds=seconds)
            state = sql_state(now, [("QUEUED", runs.c.queued), ("RUNNING", runs.c.started),
                                    (runs.c.outcome, runs.c.ended)])
            assert conn.execute(sa.select(state)).scalar() == timeline.state_at(now)


def _clock_on_a_fake_wall() -> tuple[Clock, list[float], Store]:
    """A clock whose wall time the test moves by hand (``wall[0] += seconds``)."""
    wall = [1000.0]
    store = Store()
    store.create_tables()
    return Clock(store, wall=lambda: wall[0]), wall, store


def test_manual_clock_moves_only_when_told() -> None:
    clock, wall, _ = _clock_on_a_fake_wall()
    clock.start(speed=0, at=T0)
    wall[0] += 3600
    assert clock.now() == T0
    clock.advance(timedelta(minutes=5))
    assert clock.now() == T0 + timedelta(minutes=5)


def test_sped_up_clock_runs_faster_than_the_wall() -> None:
    clock, wall, store = _clock_on_a_fake_wall()
    clock.start(speed=60, at=T0)
    wall[0] += 2
    assert clock.now() == T0 + timedelta(minutes=2)
    clock.set_speed(1)
    wall[0] += 2
    assert clock.now() == T0 + timedelta(minutes=2, seconds=2)
    # Another process reading the same store sees the same time.
    assert Clock(store, wall=lambda: wall[0]).now() == clock.now()


@pytest.mark.parametrize(("text", "expected"), [
    ("PT3H0M0S", timedelta(hours=3)), ("P1DT12H", timedelta(days=1, hours=12)), ("-PT30S", timedelta(seconds=-30)),
    ("PT0.5S", timedelta(seconds=0.5)), ("P2W", timedelta(weeks=2)),
])
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["P", "PT", "3H", "P1Y", "PT1H2", ""])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_datetimes_render_like_django_rest_framework() -> None:
    assert format_iso(datetime(2015, 8, 28, 17, 55, 41, 5000, tzinfo=UTC)) == "2015-08-28T17:55:41.005000Z"
    assert format_iso(datetime(2015, 8, 28, 17, 55, 41, tzinfo=UTC)) == "2015-08-28T17:55:41Z"
    assert format_iso(datetime(2015, 8, 28, 17, 55, 41, 5000, tzinfo=UTC), digits=3) == "2015-08-28T17:55:41.005Z"

"""GET /v6/jobs/{id}/input_files/: the files a job was given, filtered by time, name and input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import EPOCH
from tests.scale.helpers import TILER, ids, queue
from tests.support import at

FILE_FIELDS = {"id", "file_name", "workspace", "media_type", "file_type", "file_size", "file_path", "is_deleted",
               "url", "created", "last_modified", "data_started", "data_ended", "source_started", "source_ended",
               "source_sensor_class", "source_sensor", "source_collection", "source_task", "countries"}
FIELDS = {"source": ("source_started", "source_ended"), "data": ("data_started", "data_ended"),
          "last_modified": ("last_modified", "last_modified")}


def files(client, job_id, params=None):
    response = client.get(f"/v6/jobs/{job_id}/input_files/", params=params)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["count"] == len(page["results"])
    return page["results"]


def test_the_input_files_of_a_job(client):
    got = files(client, 1)
    assert ids(got) == [7, 11]  # ordered by last_modified
    assert all(set(f) >= FILE_FIELDS for f in got)
    assert {f["file_name"] for f in got} == {"ndvi_007.tif", "LC08_011_B5.TIF"}
    stamps = [at(f["last_modified"]) for f in got]
    assert stamps == sorted(stamps)
    assert got[1]["workspace"] == {"id": 1, "name": "raw"}


def test_the_input_files_of_a_new_job(client):
    new = queue(client, TILER, {"files": {"geotiff": [61, 14, 32]}})
    got = files(client, new["id"])
    assert set(ids(got)) == {14, 32, 61}
    assert sorted(f["file_name"] for f in got) == sorted(new["input_files"]["geotiff"])


@pytest.mark.parametrize("time_field", [None, "last_modified", "source", "data"])
@pytest.mark.parametrize("bounds", [{"started": "P1D"}, {"ended": "P1D"}, {"started": "P35D", "ended": "P20D"}])
def test_time_field_says_which_times_started_and_ended_filter(client, time_field, bounds):
    new = queue(client, TILER, {"files": {"geotiff": [61, 49, 14, 32, 11, 7]}})["id"]
    everything = files(client, new)
    low_field, high_field = FIELDS[time_field or "last_modified"]

    def matches(f):
        ok = True
        if "started" in bounds:
            start = EPOCH - {"P1D": timedelta(days=1), "P35D": timedelta(days=35)}[bounds["started"]]
            ok = ok and f[low_field] is not None and at(f[low_field]) >= start
        if "ended" in bounds:
            end = EPOCH - {"P1D": timedelta(days=1), "P20D": timedelta(days=20)}[bounds["ended"]]
            ok = ok and f[high_field] is not None and at(f[high_field]) <= end
        return ok

    params = {**bounds, **({"time_field": time_field} if time_field else {})}
    got = files(client, new, params)
    assert set(ids(got)) == {f["id"] for f in everything if matches(f)}
    assert got, "the fixture files should match"
    assert len(got) < len(everything)


def test_data_times_are_not_source_times(client):
    # File 61 has source times (8 to 7 hours ago) but no data times.
    new = queue(client, TILER, {"files": {"geotiff": [61, 14]}})["id"]
    assert ids(files(client, new, {"started": "P1D", "time_field": "source"})) == [61]
    assert ids(files(client, new, {"started": "P1D", "time_field": "data"})) == []
    assert ids(files(client, new, {"started": "P1D"})) == [61]


def test_file_name_and_job_input_filters(client):
    assert ids(files(client, 1, {"file_name": "LC08_011_B5.TIF"})) == [11]
    assert files(client, 1, {"file_name": "LC08_011"}) == []
    assert ids(files(client, 1, {"job_input": "nir_band"})) == [7]
    assert ids(files(client, 1, {"job_input": "red_band"})) == [11]
    assert files(client, 1, {"job_input": "red_band", "file_name": "ndvi_007.tif"}) == []


def test_an_unknown_job_has_no_input_files(client):
    response = client.get("/v6/jobs/999999/input_files/")
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_input_files_paginate(client):
    page = client.get("/v6/jobs/1/input_files/", params={"page_size": 1}).json()
    assert page["count"] == 2 and ids(page["results"]) == [7]
    assert page["next"] == "http://testserver/v6/jobs/1/input_files/?page=2&page_size=1"
    assert ids(client.get(page["next"]).json()["results"]) == [11]
    assert client.get("/v6/jobs/1/input_files/", params={"page": 3, "page_size": 1}).json() == \
        {"detail": "Invalid page."}


def test_an_unknown_time_field_is_a_400(client):
    response = client.get("/v6/jobs/1/input_files/", params={"time_field": "created", "started": "P1D"})
    assert response.status_code == 400
    assert "time_field" in response.json()["detail"]


def test_input_file_time_range_is_checked(client):
    response = client.get("/v6/jobs/1/input_files/", params={"started": "P1D", "ended": "P1D"})
    assert response.json() == {"detail": "Start and end values must be different"}

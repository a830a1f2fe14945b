"""Parsing in worker processes (dagster_project/sources/common/parallel.py, used by sources.common.landing.parse_files):
the same rows, quarantine and order as parsing in-process, a parser's SourceError as that file's
quarantine, a dead worker survived. Real parsers on real files."""

import logging
import os
import signal

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dagster_project.sources.common import landing as assets
from dagster_project.sources.common import parallel
from dagster_project.sources.bulletins.html import parse_bulletin_html
from dagster_project.sources.common.provenance import SourceError
from dagster_project.sources.common.parallel import Parsing
from dagster_project.sources.yearbooks.parser import parse_yearbook
from tests.conftest import shared_file

LOG = logging.getLogger("test_parallel_parse")
BULLETINS = ("aksu", "baoji", "bazhou", "puyang", "binzhou")


def bulletins():
    return [shared_file(f"bulletins/{city}_2025_statistical_bulletin.html") for city in BULLETINS]


@pytest.fixture(autouse=True)
def small_files_are_enough(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)  # today's files are smaller than a pool is worth


def land(files, parse, monkeypatch, workers: str):
    """parse_files as land_files calls it (no cache), rows collected: (rows, quarantine, per_file, unexpected)."""
    monkeypatch.setenv(parallel.WORKERS_ENV, workers)
    frames = []
    quarantine, per_file, unexpected = assets.parse_files(
        LOG, "bulletin_observations", files, parse, lambda r, _p: r.observations, frames.append)
    return pl.concat(frames, how="diagonal_relaxed"), quarantine, per_file, unexpected


def test_workers_give_what_one_process_gives_in_the_same_order(monkeypatch, caplog, tmp_path):
    bad = tmp_path / "broken_2025_statistical_bulletin.html"
    bad.write_bytes(b"\xff\xfe\x00garbage that is no bulletin")
    files = [*bulletins()[:3], bad, *bulletins()[3:]]
    with caplog.at_level(logging.INFO, logger="test_parallel_parse"):
        together = land(files, parse_bulletin_html, monkeypatch, "2")
    assert "parsing 6 files in 2 worker processes" in caplog.text
    alone = land(files, parse_bulletin_html, monkeypatch, "1")
    assert_frame_equal(together[0], alone[0])
    assert together[1:] == alone[1:]
    assert [f["source_file"] for f in together[2]] == [p.name for p in files]
    (whole_file,) = [q for q in together[1] if q.source_file == bad.name]  # the parser's SourceError, from a worker
    assert (whole_file.location, whole_file.reason) == ("1", "not valid utf-8 (assumed: no charset declared) at byte 0: invalid start byte")
    assert together[3] is False  # a SourceError is expected: nothing to retry
    puyang = together[0].filter(pl.col("source_file") == "puyang_2025_statistical_bulletin.html")
    # 2025 as printed, 2024 from "比上年末提高0.77个百分点"
    assert puyang.filter(pl.col("indicator_label_raw") == "常住人口城镇化率")["value"].to_list() == [54.44, 53.67]


def test_a_source_error_crosses_the_process_boundary_whole(tmp_path):
    bad = tmp_path / "not_a_workbook.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not a zip archive")
    files = [bad] * 1 + [tmp_path / f"copy{i}.xlsx" for i in range(3)]
    for f in files[1:]:
        f.write_bytes(bad.read_bytes())
    with Parsing(parse_yearbook, files, LOG) as parsing:
        assert parsing.pool is not None
        for f in files:
            with pytest.raises(SourceError) as raised:
                parsing.result(f)
            assert raised.value.file == f.name and raised.value.reason
            with pytest.raises(SourceError) as here:
                parse_yearbook(f)
            assert (raised.value.location, raised.value.reason) == (here.value.location, here.value.reason)


def test_a_dead_worker_leaves_the_rest_to_this_process(caplog):
    files = bulletins()
    with Parsing(parse_bulletin_html, files, LOG) as parsing:
        first = parsing.result(files[0])
        for pid in list(parsing.pool._processes):  # killed from outside (e.g. the kernel, out of memory)
            os.kill(pid, signal.SIGKILL)
        with caplog.at_level(logging.WARNING, logger="test_parallel_parse"):
            rest = [parsing.result(f) for f in files[1:]]
    assert "a parse worker died" in caplog.text and parsing.pool is None
    for f, result in zip(files, [first, *rest]):
        assert_frame_equal(result.observations, parse_bulletin_html(f).observations)


def test_a_pool_only_when_it_pays(monkeypatch):
    files = bulletins()
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    with Parsing(parse_bulletin_html, files[: parallel.MIN_FILES - 1], LOG) as few:
        assert few.pool is None
    with Parsing(lambda p: parse_bulletin_html(p), files, LOG) as closure:  # another process cannot import it
        assert closure.pool is None and closure.result(files[0]).observations.height > 0
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    with Parsing(parse_bulletin_html, files, LOG) as one_core:
        assert one_core.pool is None
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    monkeypatch.setattr(parallel, "MIN_BYTES", sum(f.stat().st_size for f in files) + 1)
    with Parsing(parse_bulletin_html, files, LOG) as too_small:
        assert too_small.pool is None


def test_a_result_the_cache_cannot_write_travels_pickled(tmp_path):
    path = bulletins()[0]
    unwritable = {"set": {1, 2}}  # parse_cache.write_result has no encoding for a set
    assert parallel._parse_to_files(lambda p: unwritable, path, tmp_path) == (unwritable, None)
    assert list(tmp_path.iterdir()) == []  # its half-written directory is gone
    doc, directory = parallel._parse_to_files(parse_bulletin_html, path, tmp_path)
    assert directory.parent == tmp_path and (directory / "f0.parquet").is_file()

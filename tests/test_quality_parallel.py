"""Row batches validated in worker processes (dagster_project/quality/parallel.py, used by
quality.validate): the same outcome as in one process, on planted rows and on the real observation
fact table; a dead worker survived; no pool where it does not pay."""

import json
import logging
import os
import signal

from dagster_project.quality import suites as quality
from dagster_project.quality import parallel as quality_parallel
from dagster_project.quality.parallel import RowBatches
from dagster_project.common.warehouse import connect_readonly
from tests.test_quality import EXPECTED, PLANTED_SUITE, _planted

LOG = logging.getLogger("test_quality_parallel")


def die(*_args):
    """A worker's work that kills its process, as the kernel's OOM killer would."""
    os.kill(os.getpid(), signal.SIGKILL)


def test_planted_failures_are_reported_the_same_from_workers(tmp_path, monkeypatch, caplog):
    """Six batches of one row, every second one validated by the worker: the failures, their counts
    and their rows in table order are those of one process (and of GX on the whole table)."""
    db = _planted(tmp_path)
    monkeypatch.setenv(quality_parallel.WORKERS_ENV, "2")
    with caplog.at_level(logging.INFO, logger="dagster_project.quality.parallel"):
        outcome = quality.validate(PLANTED_SUITE, db, batch_rows=1)
    assert "validating 6 batches in this process and 1 worker process(es)" in caplog.text
    assert (outcome.success, outcome.evaluated, outcome.row_count) == (False, 6, 6)
    assert json.dumps(outcome.failed) == json.dumps(EXPECTED)  # (NaN, the null region, compares equal as JSON text)


def test_the_observation_fact_table_gets_one_outcome_however_many_processes(nightly_warehouse, monkeypatch, caplog):
    """The real suite on the real table (286,013 rows) in batches of 50,000: 6 batches, 3 of them in
    the worker; the outcome is the one of one process."""
    path, _ = nightly_warehouse
    suite = quality.load_suite("fct_indicator_observation")
    monkeypatch.setenv(quality_parallel.WORKERS_ENV, "1")
    alone = quality.validate(suite, path, batch_rows=50_000)
    monkeypatch.setenv(quality_parallel.WORKERS_ENV, "2")
    with caplog.at_level(logging.INFO, logger="dagster_project.quality.parallel"):
        shared = quality.validate(suite, path, batch_rows=50_000)
    with connect_readonly(path) as con:
        rows = con.execute("select count(*) from marts.fct_indicator_observation").fetchone()[0]
    assert "validating 6 batches in this process and 1 worker process(es)" in caplog.text
    assert shared.row_count == alone.row_count == rows
    assert (shared.success, shared.evaluated, shared.failed) == (alone.success, alone.evaluated, alone.failed) == (True, 10, [])


def test_a_dead_worker_leaves_its_batches_and_the_rest_to_this_process(monkeypatch, caplog):
    monkeypatch.setenv(quality_parallel.WORKERS_ENV, "2")
    items = list(range(8))
    with caplog.at_level(logging.WARNING, logger="test_quality_parallel"):
        with RowBatches(lambda b: b * 10, die, (), items, LOG) as rows:
            assert rows.pool is not None
            results = rows.results()
    assert results == [b * 10 for b in items]
    assert "a GX worker died" in caplog.text and rows.pool is None


def test_a_pool_only_when_it_pays(monkeypatch):
    monkeypatch.setenv(quality_parallel.WORKERS_ENV, "2")
    with RowBatches(lambda b: b, die, (), range(quality_parallel.MIN_BATCHES - 1), LOG) as few:
        assert few.pool is None and few.results() == list(range(quality_parallel.MIN_BATCHES - 1))
    monkeypatch.setenv(quality_parallel.WORKERS_ENV, "1")
    with RowBatches(lambda b: b, die, (), range(100), LOG) as one_core:
        assert one_core.pool is None and one_core.results() == list(range(100))

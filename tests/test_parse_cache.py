"""The content-hash parse cache (dagster_project/sources/common/parse_cache.py) and land_files with cache_dir,
on real parsers and real files."""

import logging
import os
import shutil
import time
from types import SimpleNamespace

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dagster_project.sources.common import landing as assets
from dagster_project.sources.plans.assets import _one_file_per_plan
from dagster_project.sources.common import parse_cache
from dagster_project.common import reference
from dagster_project.sources.bulletins.html import parse_bulletin_html
from dagster_project.common.files import file_sha256
from dagster_project.sources.common.parse_cache import ParseCache, fingerprint, same_result
from dagster_project.sources.plans.tables import parse_plan_tables
from dagster_project.sources.yearbooks.parser import parse_yearbook
from tests.conftest import PUYANG, shared_file

LOG = logging.getLogger("test_parse_cache")
PUYANG_CODE = "410900"


def cached_parse(cache_dir, table, parse, path):
    """One file through a fresh ParseCache (a new run): (result, came from the cache)."""
    cache = ParseCache(cache_dir, table, parse, LOG)
    sha = file_sha256(path)
    result = cache.get(path, sha)
    if result is None:
        result = parse(path)
        cache.put(path, sha, result)
        return result, False
    return result, True


def entries(cache_dir, table):
    return sorted(p.name for p in (cache_dir / table).iterdir()) if (cache_dir / table).is_dir() else []


@pytest.mark.parametrize("kind", ["yearbook", "bulletin", "plan"])
def test_a_hit_is_the_parse_of_the_real_file(tmp_path, kind):
    path, parse = {
        "yearbook": (lambda: shared_file("yearbooks/ccsy/china_city_statistical_yearbook_2019_prefecture.xlsx"), parse_yearbook),
        "bulletin": (lambda: shared_file("bulletins/puyang_2025_statistical_bulletin.html"), parse_bulletin_html),
        "plan": (lambda: PUYANG, parse_plan_tables),
    }[kind]
    path = path()
    first, from_cache = cached_parse(tmp_path, kind, parse, path)
    assert not from_cache and len(entries(tmp_path, kind)) == 1
    hit, from_cache = cached_parse(tmp_path, kind, parse, path)
    assert from_cache and type(hit) is type(first)
    assert same_result(hit, first)  # every field, summary and nested dataclasses included
    fresh = parse(path)
    rows = "cells" if kind == "plan" else "observations"
    assert_frame_equal(getattr(hit, rows), getattr(fresh, rows))
    assert hit.quarantine == fresh.quarantine
    if kind == "yearbook":  # known values of the 2019 edition
        assert hit.summary["data_year"] == 2018 and hit.columns == fresh.columns
        assert_frame_equal(hit.headers, fresh.headers)
        puyang = hit.observations.filter((pl.col("region_code") == PUYANG_CODE) & (pl.col("indicator_label_raw") == "年末户籍人口")
                                         & (pl.col("scope") == "全市"))
        assert puyang["value"].to_list() == [435.0]
        assert [q.location for q in hit.quarantine if "matches no prefecture" in q.reason] == ["sheet Data row 158"]
    elif kind == "bulletin":
        assert hit.observations.height == 52 and hit.summary["region_code"] == PUYANG_CODE  # the whole bulletin
        gdp = hit.observations.filter(pl.col("indicator_label_raw") == "地区生产总值").sort("year")
        assert gdp.select("year", "value", "source_location").rows() == [(2024, 2025.4, "line 231 sentence 2"),
                                                                         (2025, 2106.17, "line 149 sentence 1")]
    else:
        assert hit.plan_id == fresh.plan_id == "410900-濮阳市新型城镇化规划(2021-2035年)" and hit.cells.height == 45


def test_a_changed_byte_or_name_is_a_miss(tmp_path):
    src = tmp_path / "src" / "puyang.md"
    src.parent.mkdir()
    shutil.copy(PUYANG, src)
    cache_dir = tmp_path / "cache"
    assert cached_parse(cache_dir, "plan", parse_plan_tables, src)[1] is False
    assert cached_parse(cache_dir, "plan", parse_plan_tables, src)[1] is True
    data = bytearray(src.read_bytes())
    i = data.index("45".encode())  # same length, other bytes
    data[i:i + 2] = b"46"
    src.write_bytes(bytes(data))
    assert cached_parse(cache_dir, "plan", parse_plan_tables, src)[1] is False
    renamed = src.rename(src.with_name("puyang_final.md"))  # the name is in every row
    result, from_cache = cached_parse(cache_dir, "plan", parse_plan_tables, renamed)
    assert not from_cache and set(result.cells["source_file"]) == {"puyang_final.md"}


def test_the_fingerprint_follows_ingest_code_reference_data_polars_and_parser(tmp_path, monkeypatch, caplog):
    def fresh_fingerprint(parse=parse_plan_tables):
        parse_cache.base_fingerprint.cache_clear()  # computed once per process: a new process
        return fingerprint(parse)

    shutil.copytree(parse_cache.INGEST_DIR, tmp_path / "ingest", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(reference.REFERENCE_DIR, tmp_path / "reference")
    monkeypatch.setattr(parse_cache, "INGEST_DIR", tmp_path / "ingest")
    monkeypatch.setattr(reference, "REFERENCE_DIR", tmp_path / "reference")
    before = fresh_fingerprint()
    assert fresh_fingerprint() == before
    assert fresh_fingerprint(parse_yearbook) != before

    cache_dir, src = tmp_path / "cache", PUYANG
    assert cached_parse(cache_dir, "plan", parse_plan_tables, src)[1] is False
    assert cached_parse(cache_dir, "plan", parse_plan_tables, src)[1] is True

    changes = [
        lambda: (tmp_path / "ingest" / "plans" / "prose_targets" / "text.py").open("a").write("\n# edited\n"),  # a nested module
        lambda: (tmp_path / "reference" / "units.csv").open("a").write("\n"),
        lambda: monkeypatch.setattr(parse_cache.pl, "__version__", "0.0.0"),
    ]
    seen = {before}
    for change in changes:
        change()
        now = fresh_fingerprint()
        assert now not in seen
        seen.add(now)
        assert cached_parse(cache_dir, "plan", parse_plan_tables, src)[1] is False
        assert cached_parse(cache_dir, "plan", parse_plan_tables, src)[1] is True
    assert len(entries(cache_dir, "plan")) == 1 + len(changes)  # a new key each time (the old ones: for prune)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # clean misses, not damaged entries


@pytest.mark.parametrize("damage", ["truncated parquet", "bad json", "missing parquet", "other file's entry"])
def test_a_corrupt_entry_is_a_logged_miss(tmp_path, caplog, damage):
    cached_parse(tmp_path, "plan", parse_plan_tables, PUYANG)
    (key,) = entries(tmp_path, "plan")
    entry = tmp_path / "plan" / key
    if damage == "truncated parquet":
        (entry / "f0.parquet").write_bytes((entry / "f0.parquet").read_bytes()[:100])
    elif damage == "bad json":
        (entry / "result.json").write_text('{"header": ', encoding="utf-8")
    elif damage == "missing parquet":
        (entry / "f0.parquet").unlink()
    else:
        doc = (entry / "result.json").read_text(encoding="utf-8")
        (entry / "result.json").write_text(doc.replace(PUYANG.name, "heze.md", 1), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        result, from_cache = cached_parse(tmp_path, "plan", parse_plan_tables, PUYANG)
    assert not from_cache and result.cells.height == 45
    (record,) = [r for r in caplog.records if "unreadable entry" in r.message]
    assert PUYANG.name in record.message and "parsing the file again" in record.message
    assert cached_parse(tmp_path, "plan", parse_plan_tables, PUYANG)[1] is True  # stored again


def test_a_result_that_cannot_be_stored_is_logged_and_leaves_nothing(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        cache = ParseCache(tmp_path, "plan", parse_plan_tables, LOG)
        cache.put(PUYANG, file_sha256(PUYANG), SimpleNamespace(quarantine=[]))
    assert "not cached (TypeError" in caplog.text and PUYANG.name in caplog.text
    assert entries(tmp_path, "plan") == []  # no temporary directory left either


def land_run(cache_dir, files, frame):
    """parse_files as land_files calls it, the rows collected instead of spooled: (frames, quarantine, per_file)."""
    frames = []
    quarantine, per_file, _ = assets.parse_files(LOG, "plan_indicator_cells", files, parse_plan_tables, frame, frames.append,
                                                 cache_dir=cache_dir)
    return {"frames": frames, "quarantine": quarantine, "per_file": per_file}


def test_land_files_caches_only_landed_files_and_frames_still_see_every_file(tmp_path, monkeypatch, caplog):
    src = tmp_path / "src"
    src.mkdir()
    files = [src / "a_puyang.md", src / "b_empty.md", src / "c_puyang_copy.md"]
    shutil.copy(PUYANG, files[0])
    files[1].write_bytes(b"")  # fails: quarantined, never cached
    shutil.copy(PUYANG, files[2])  # same plan: the stateful frame quarantines it, cached or not
    cache_dir = tmp_path / "cache"

    def frame():
        return _one_file_per_plan(lambda r: r.cells)

    plain = land_run(None, files, frame())
    assert not cache_dir.exists()
    with caplog.at_level(logging.INFO, logger=LOG.name):
        cold = land_run(cache_dir, files, frame())
        assert "0 file(s) from cache, 3 parsed" in caplog.text
        assert len(entries(cache_dir, "plan_indicator_cells")) == 1  # only the file that landed
        caplog.clear()
        warm = land_run(cache_dir, files, frame())
        assert "1 file(s) from cache, 2 parsed, 0 unused entries removed" in caplog.text
    for run in (cold, warm):
        assert run["per_file"] == plain["per_file"] and run["quarantine"] == plain["quarantine"]
        assert len(run["frames"]) == 1
        assert_frame_equal(run["frames"][0], plain["frames"][0])
    reasons = {q.source_file: q.reason for q in warm["quarantine"]}
    assert reasons["b_empty.md"].startswith("empty file") and "same plan as a_puyang.md" in reasons["c_puyang_copy.md"]


def test_prune_keeps_this_runs_entries_only(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    a, b = src / "a.md", src / "b.md"
    shutil.copy(PUYANG, a)
    shutil.copy(PUYANG, b)
    cache_dir = tmp_path / "cache"
    for path in (a, b):
        cached_parse(cache_dir, "plan", parse_plan_tables, path)
    cached_parse(cache_dir, "other_table", parse_plan_tables, a)
    stale_tmp, live_tmp = (cache_dir / "plan" / f"{parse_cache.TMP_PREFIX}{n}" for n in ("killed", "writing"))
    stale_tmp.mkdir()
    live_tmp.mkdir()
    old = time.time() - parse_cache.STALE_TMP_SECONDS - 60
    os.utime(stale_tmp, (old, old))
    key_a = [k for k in entries(cache_dir, "plan") if not k.startswith(".")]
    assert len(key_a) == 2

    cache = ParseCache(cache_dir, "plan", parse_plan_tables, LOG)  # a run that sees only a.md
    assert cache.get(a, file_sha256(a)) is not None
    assert cache.prune() == 2  # b.md's entry and the killed run's directory
    remaining = entries(cache_dir, "plan")
    assert len(remaining) == 2 and live_tmp.name in remaining
    assert cache.get(a, file_sha256(a)) is not None and cache.get(b, file_sha256(b)) is None
    assert len(entries(cache_dir, "other_table")) == 1  # another table's entries are its own run's business

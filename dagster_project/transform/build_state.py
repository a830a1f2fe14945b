"""What the dbt models of a build file were last built from, so that a run rebuilds only what its
changes reach (issue 11: incremental runs).

A run's build file starts as a copy of the published warehouse (:mod:`dagster_project.common.warehouse`),
whose every model was built, tested and gated. ``meta.dbt_state`` in it records what that build read:
the digest of the dbt project (:func:`dagster_project.transform.project.dbt_project_digest`: every project
file, dbt's, dbt-duckdb's and DuckDB's versions) and of every dbt source table (row count and the sum of DuckDB's hash of
every row, so any changed, added or removed row changes it; the loaders keep a raw table's rows,
load id included, when its inputs are unchanged). dbt's models are deterministic functions of those
inputs, so a model none of whose upstream sources changed would be rebuilt into the same rows:

* project changed, or no state recorded → every model is rebuilt;
* otherwise the models downstream of a changed source (dbt's ``child_map``) are rebuilt and the
  others kept as they are; every dbt test still runs whenever anything is rebuilt;
* nothing changed → dbt does not run at all.

The state is recorded after a successful build of the full selection (a partial run, e.g. the
yearbook sensor's, leaves it, so the next full run rebuilds what that partial run touched).
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass

import duckdb

from dagster_project.common.warehouse import meta_table, now_utc, table_digest

STATE_DDL = "create table if not exists meta.dbt_state (item varchar, digest varchar, recorded_by varchar, recorded_at timestamp)"
PROJECT = "dbt project"


def engine_versions() -> tuple[str, ...]:
    """What else a model's rows depend on besides its SQL and its sources: the adapter and the engine."""
    return tuple(f"{p} {importlib.metadata.version(p)}" for p in ("dbt-duckdb", "duckdb"))


def source_items(manifest: dict) -> dict[str, str]:
    """dbt source unique_id -> its table as ``schema.identifier``."""
    return {uid: f"{s['schema']}.{s['identifier']}" for uid, s in manifest["sources"].items()}


def current(con: duckdb.DuckDBPyConnection, manifest: dict, project_digest: str) -> dict[str, str]:
    """item -> digest now: the dbt project and every source table."""
    return {PROJECT: project_digest, **{uid: table_digest(con, t) for uid, t in source_items(manifest).items()}}


def recorded(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    meta_table(con, STATE_DDL)
    return dict(con.execute("select item, digest from meta.dbt_state").fetchall())


def record(con: duckdb.DuckDBPyConnection, state: dict[str, str], run_id: str) -> None:
    meta_table(con, STATE_DDL)
    con.execute("delete from meta.dbt_state")
    at = now_utc()
    con.executemany("insert into meta.dbt_state values (?, ?, ?, ?)", [[k, v, run_id, at] for k, v in state.items()])


@dataclass(frozen=True)
class Plan:
    """Which models to rebuild, and why."""

    rebuild_all: bool
    changed_sources: tuple[str, ...]  # unique ids
    keep: frozenset[str]  # model unique ids that stay as they are

    def describe(self, manifest: dict) -> str:
        if self.rebuild_all:
            return "every model rebuilt: " + ("the dbt project changed" if self.changed_sources == (PROJECT,) else "no build state recorded")
        tables = source_items(manifest)
        changed = ", ".join(tables[s] for s in self.changed_sources) or "none"
        return f"changed sources: {changed}; {len(self.keep)} model(s) kept as built before"


def plan(manifest: dict, now: dict[str, str], before: dict[str, str]) -> Plan:
    """Compare the digests ``now`` with those recorded ``before`` (see the module doc)."""
    models = {uid for uid in manifest["nodes"] if uid.startswith("model.")}
    if not before:
        return Plan(True, (), frozenset())
    if before.get(PROJECT) != now[PROJECT]:
        return Plan(True, (PROJECT,), frozenset())
    changed = tuple(sorted(uid for uid in source_items(manifest) if before.get(uid) != now[uid]))
    reached, todo = set(), list(changed)
    while todo:
        for child in manifest["child_map"].get(todo.pop(), []):
            if child not in reached:
                reached.add(child)
                todo.append(child)
    return Plan(False, changed, frozenset(models - reached))

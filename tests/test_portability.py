"""Portability of the dbt models beyond DuckDB (issue 11, docs/scaling.md).

Every model is compiled (``dbt compile`` into a temporary target against an empty DuckDB file:
no model introspects the warehouse at compile time) and transpiled by sqlglot from DuckDB to
Trino and to Spark with errors raised. sqlglot passes some DuckDB-only SQL through verbatim
instead of failing (``UNION ALL BY NAME``, ``* EXCLUDE``, functions it does not know), so the
DuckDB-only constructs are also found in the parse tree, attributed to the model or macro that
spells them, and must be exactly the ones docs/scaling.md lists: a new one fails the test, and
so does a listed one that is gone.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from dagster_project.common import config
from dagster_project.common.resource import dbt_vars

TARGETS = ("trino", "spark")
SCALING_DOC = config.PROJECT_ROOT / "docs" / "scaling.md"
DOC_ROW = re.compile(r"^\| `(model|macro):(\w+)` \| `([^`]+)` \|", re.M)
# how each construct is spelled in DuckDB source, to tell which file spells it
SPELLING = {"union by name": r"\bby\s+name\b", "star exclude": r"\*\s*exclude\b", "star replace": r"\*\s*replace\b"}


def transpile(sql: str, target: str) -> str:
    return sqlglot.transpile(sql, read="duckdb", write=target, error_level=ErrorLevel.RAISE,
                             unsupported_level=ErrorLevel.RAISE)[0]


def duckdb_only_constructs(sql: str) -> set[str]:
    """DuckDB-only SQL that sqlglot passes through to another dialect unchanged (or, for make_date,
    rewrites into a function Trino does not have)."""
    found = set()
    for node in sqlglot.parse_one(sql, read="duckdb").walk():
        if isinstance(node, exp.SetOperation) and node.args.get("by_name"):
            found.add("union by name")
        elif isinstance(node, exp.Star):
            found |= {"star exclude" for k in ("except_", "except") if node.args.get(k)}  # DuckDB spells it EXCLUDE
            found |= {"star replace"} if node.args.get("replace") else set()
        elif isinstance(node, exp.Anonymous):
            found.add(f"function {node.name.lower()}")
        elif isinstance(node, exp.DateFromParts):  # sqlglot writes DATE_FROM_PARTS for Trino, which Trino lacks
            found.add("function make_date")
    return found


def spelled_in(construct: str, code: str) -> bool:
    pattern = SPELLING.get(construct) or rf"\b{re.escape(construct.removeprefix('function '))}\s*\("
    return re.search(pattern, code, re.I) is not None


def locate(node: dict, construct: str, macros: dict) -> str:
    """``model:<name>`` when the model's own SQL spells the construct, else the macro (called directly or
    through other macros) that does."""
    if spelled_in(construct, node["raw_code"]):
        return f"model:{node['name']}"
    todo, seen = list(node["depends_on"]["macros"]), set()
    while todo:  # the macros it calls, and the macros they call
        m = todo.pop(0)
        if m in seen or m not in macros:
            continue
        seen.add(m)
        if spelled_in(construct, macros[m]["macro_sql"]):
            return f"macro:{macros[m]['name']}"
        todo += macros[m]["depends_on"]["macros"]
    return f"unknown (in {node['name']})"


def findings(manifest: dict) -> set[tuple[str, str]]:
    return {
        (locate(n, c, manifest["macros"]), c)
        for n in manifest["nodes"].values() if n["resource_type"] == "model"
        for c in duckdb_only_constructs(n["compiled_code"])
    }


def documented() -> set[tuple[str, str]]:
    return {(f"{kind}:{name}", construct) for kind, name, construct in DOC_ROW.findall(SCALING_DOC.read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("compile")
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = config.PROJECT_ROOT / ".venv" / "bin" / "dbt"
    done = subprocess.run([str(dbt), "compile", "--profiles-dir", ".", "--target-path", str(tmp / "target"),
                           "--log-path", str(tmp / "logs"), "--quiet", *dbt_vars(tmp / "empty.duckdb")],
                          cwd=config.DBT_PROJECT_DIR, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((tmp / "target" / "manifest.json").read_text())


def test_every_model_compiles_and_transpiles(manifest):
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) >= 40
    failures = []
    for n in models:
        assert n.get("compiled_code"), n["name"]
        for target in TARGETS:
            try:
                transpile(n["compiled_code"], target)
            except SqlglotError as e:
                failures.append(f"{n['name']} -> {target}: {str(e).splitlines()[0]}")
    assert not failures, "\n".join(failures)


def test_duckdb_only_sql_is_exactly_what_docs_scaling_lists(manifest):
    found, listed = findings(manifest), documented()
    assert listed, f"{SCALING_DOC} lists no DuckDB-only construct"
    assert found - listed == set(), f"DuckDB-only SQL not listed in {SCALING_DOC}: {sorted(found - listed)}"
    assert listed - found == set(), f"listed in {SCALING_DOC} but no longer in the models: {sorted(listed - found)}"


def test_the_checks_can_fail(manifest):
    with pytest.raises(SqlglotError):  # RAISE is in force: a construct Trino has no form for is refused
        transpile("pivot t on a using sum(b)", "trino")
    sql = ("select * exclude (a) from x union all by name "
           "select printf('%d', 1), make_date(2020, 1, 1), y.* replace (1 as b) from y")
    assert transpile(sql, "trino")  # sqlglot lets these through silently ...
    assert duckdb_only_constructs(sql) == {"union by name", "star exclude", "star replace", "function printf",
                                           "function make_date"}  # ... we do not
    assert duckdb_only_constructs("select cast(a as double), a::int, max_by(a, b) from x") == set()
    model = {"name": "new_model", "raw_code": "select a from x union all by name select a from y", "depends_on": {"macros": []}}
    assert locate(model, "union by name", manifest["macros"]) == "model:new_model"
    assert ("model:new_model", "union by name") not in documented()

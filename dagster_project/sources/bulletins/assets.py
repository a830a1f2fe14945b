"""The bulletin assets: statistical bulletins (HTML, PDF, Word) → ``raw.bulletin_observations``; the compiled
bulletin facts (CSV) → ``raw.bulletin_facts``."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from dagster_project.common import config
from dagster_project.sources.common.landing import RAW, WAREHOUSE, _observation_files_result
from dagster_project.sources.common.provenance import OBSERVATION_SCHEMA


@asset(
    required_resource_keys=WAREHOUSE,
    key=AssetKey(RAW + ["bulletin_observations"]),
    group_name="raw",
    description="Figures of statistical bulletins (HTML, PDF, Word under <source dir>/bulletins/), each with its sentence.",
)
def raw_bulletin_observations(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.sources.bulletins.html import BULLETIN_EXTRA_SCHEMA, parse_bulletin_file

    files = config.find_source_files("bulletins", ("*.html", "*.htm", "*.pdf", "*.docx"))
    return _observation_files_result(context, "bulletin_observations", files, parse_bulletin_file,
                                     {**OBSERVATION_SCHEMA, **BULLETIN_EXTRA_SCHEMA}, (__file__,))


@asset(
    required_resource_keys=WAREHOUSE,
    key=AssetKey(RAW + ["bulletin_facts"]),
    group_name="raw",
    description="raw/bulletins/bulletin_facts.csv: figures of 濮阳, 菏泽, 河南省, 山东省 bulletins with their sources.",
)
def raw_bulletin_facts(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.sources.bulletins.facts import parse_bulletin_facts

    files = config.find_source_files("bulletins", ("*.csv",))
    return _observation_files_result(context, "bulletin_facts", files, parse_bulletin_facts, OBSERVATION_SCHEMA, (__file__,))

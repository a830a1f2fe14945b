"""Serving: what the nightly job builds for readers from the *published* warehouse (opened
read-only), with no network at all.

* :mod:`.queries` — every read from the warehouse (one place for the SQL).
* :mod:`.ranking` — a city's rank among its province's prefecture cities (read from the ranking
  mart marts.mart_city_ranking).
* :mod:`.panels` — the monitoring logic on top of the marts: the two status vocabularies
  (``raw/reference/status_vocabulary.csv``), the projection and 预警 (early warning) flag as
  ``marts.mart_target_projection`` computes them, one panel per printed indicator with its chart and CSV.
* :mod:`.final_evaluation` — the 十四五 final evaluation of a city (``marts.mart_target_final_evaluation``
  and its summary) and, per target not assessable, where its data would come from.
* :mod:`.dashboard` — the static dashboard and :func:`build_site`, which writes the dashboard
  and one printable report per city (:mod:`.report`) into a fresh directory and swaps it in.
"""

from dagster_project.serving.dashboard import build_site

__all__ = ["build_site"]

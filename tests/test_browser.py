"""The dashboard and one report in headless Chromium (Debian ``chromium`` + ``chromedriver``,
installed by :func:`chromium` when missing, as root or in CI): no console errors, no network
request, as many rendered charts as the data says, screenshots (and the report as an A4 PDF)
saved as test artifacts in ``URBAN_TEST_ARTIFACTS`` (default ``warehouse/test_artifacts/``)."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from dagster_project.common.config import PROJECT_ROOT
from dagster_project.serving import build_site

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.print_page_options import PrintOptions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

APT_PACKAGES = ["chromium", "chromium-driver", "fonts-wqy-microhei"]  # the font: Chinese in screenshots
ARTIFACTS = Path(os.environ.get("URBAN_TEST_ARTIFACTS") or PROJECT_ROOT / "warehouse" / "test_artifacts")
LOCAL = re.compile(r"(file|data|about|blob):")


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    """(browser, driver) paths; apt-get installs them first when missing and allowed (CI or root)."""
    found = shutil.which("chromium"), shutil.which("chromedriver")
    if not all(found):
        if os.environ.get("CI") != "true" and os.geteuid() != 0:
            pytest.skip(f"chromium/chromedriver missing and not root or CI: apt-get install {' '.join(APT_PACKAGES)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", *APT_PACKAGES], check=True, env=env)
        found = shutil.which("chromium"), shutil.which("chromedriver")
    assert all(found), f"chromium / chromedriver not on PATH after installing {APT_PACKAGES}"
    return found


@pytest.fixture(scope="module")
def driver(chromium):
    opts = Options()
    opts.binary_location = chromium[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000", "--lang=zh-CN"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    d = webdriver.Chrome(service=Service(chromium[1]), options=opts)
    yield d
    d.quit()


@pytest.fixture(scope="module")
def site(nightly_warehouse, tmp_path_factory) -> dict:
    return build_site(nightly_warehouse[0], tmp_path_factory.mktemp("site") / "site")


def visit(d, url: str, charts: bool = True) -> tuple[list[dict], list[str]]:
    """Open ``url``; wait until every chart is drawn; return (console errors, requested URLs)."""
    d.get_log("browser"), d.get_log("performance")  # drop what earlier pages left
    d.get(url)
    if charts:
        WebDriverWait(d, 120).until(lambda d: d.execute_script("return document.body.getAttribute('data-charts-rendered')"))
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    requests = []
    for entry in d.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            requests.append(msg["params"].get("request", {}).get("url") or msg["params"].get("url"))
    return errors, requests


def rendered_charts(d, within: str = "body") -> int:
    """Charts plotly.js has drawn (a plot div holding its SVG)."""
    return d.execute_script(f"return document.querySelectorAll('{within} .js-plotly-plot .main-svg:first-child').length")


def save(d, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    d.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_the_checks_see_console_errors_and_network_requests(driver, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<img src="http://127.0.0.1:9/x.png"><script>console.error("boom")</script>', encoding="utf-8")
    errors, requests = visit(driver, bad.as_uri(), charts=False)
    assert any("boom" in e["message"] for e in errors)
    assert "http://127.0.0.1:9/x.png" in requests


def test_dashboard_renders_every_panel_offline(driver, site, nightly_warehouse):
    errors, requests = visit(driver, (site["path"] / "index.html").as_uri())
    assert errors == []
    assert [u for u in requests if not LOCAL.match(u)] == []
    assert requests  # the page itself was seen: the log works
    with duckdb.connect(str(nightly_warehouse[0]), read_only=True) as con:
        expected = dict(con.execute(
            "select coalesce(r.prefecture_code, r.region_code), count(distinct (p.region_code, p.plan_id, p.source_kind, "
            "p.table_ref, p.indicator_label)) from marts.mart_target_progress p join marts.dim_region r using (region_code) "
            "where p.target_value is not null group by all").fetchall())
    assert rendered_charts(driver) == sum(expected.values())
    for city, n in expected.items():
        assert rendered_charts(driver, f"#city-{city}") == n
    save(driver, "dashboard_top")
    driver.execute_script("document.getElementById('city-410900').scrollIntoView()")
    save(driver, "dashboard_410900")


def test_report_renders_and_prints_to_a4(driver, site):
    html = (site["path"] / "report_410900.html").read_text(encoding="utf-8")
    sheets = html.count('<section class="sheet"')
    errors, requests = visit(driver, (site["path"] / "report_410900.html").as_uri())
    assert errors == [] and [u for u in requests if not LOCAL.match(u)] == []
    assert rendered_charts(driver) == sheets > 0
    assert driver.execute_script("return document.querySelectorAll('#indicator-table tbody tr:not(.group)').length") == \
        html.count('<td class="status s-')
    save(driver, "report_410900")
    opts = PrintOptions()
    opts.page_width, opts.page_height, opts.background = 21.0, 29.7, True
    pdf = base64.b64decode(driver.print_page(opts))
    (ARTIFACTS / "report_410900.pdf").write_bytes(pdf)
    assert re.search(rb"/MediaBox \[0 0 595\.9\d* 841\.9\d*\]", pdf)  # A4 in points
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 1 + sheets  # one sheet per page, after the table



@pytest.fixture(scope="module")
def served(nightly_warehouse):
    """The folder next to the published warehouse over HTTP on 127.0.0.1, as `urban serve` shows it
    (dbt docs is a single-page app that a file:// URL blocks)."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(nightly_warehouse[0].parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.mark.parametrize("page", ["docs/index.html", "docs/dbt/index.html", "data_docs/index.html"])
def test_docs_pages_render_offline(driver, served, page):
    """The docs index, the dbt docs and the Data Docs index the nightly wrote next to the warehouse:
    no console error, no request beyond 127.0.0.1, and the page shows its own content."""
    errors, requests = visit(driver, served + page, charts=False)
    assert errors == [] and [u for u in requests if not (LOCAL.match(u) or u.startswith(served))] == []
    expected = {"docs/index.html": "dbt", "docs/dbt/index.html": "fct_plan_target",
                "data_docs/index.html": "fct_indicator_observation"}[page]
    WebDriverWait(driver, 60).until(lambda d: expected in d.execute_script("return document.body.innerText"))
    save(driver, page.replace("/", "_").removesuffix(".html"))

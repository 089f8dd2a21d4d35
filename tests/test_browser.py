"""A real browser walk: Debian's Chromium, driven by Playwright, against `streamlit run app.py`.

- ``test_walk_every_page_and_download_assignments`` (always, marker ``browser``): uploads a
  Salesforce report export too small to cluster (clear message, no traceback), then a real
  Salesforce accounts export, walks every page and downloads assignments.csv.
- ``test_screenshots`` (when ``SCREENSHOTS_DIR`` is set): a PNG of each page on the sample,
  the README's screenshots::

      SCREENSHOTS_DIR=docs/screenshots python -m pytest tests/test_browser.py -k screenshots

- ``test_dashboard_performance`` (when ``DASHBOARD_BENCH`` is set): uploads 50,000 accounts
  (``scripts.sample_crm.generate_accounts(50_000, seed=1)`` as CSV) and times the first run
  and a rerun of every page; see docs/dashboard-performance.md::

      DASHBOARD_BENCH=1 python -m pytest tests/test_browser.py -k performance -s
"""

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from functools import partial
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

CHROMIUM = "/usr/bin/chromium"
UPLOAD = FIXTURES / "real" / "sf_datacloud_Account.csv"  # a real Salesforce org's Account export
TOO_SMALL = FIXTURES / "tools" / "salesforce_report_accounts.csv"  # report export with footer
PAGES = [  # sidebar title, a text only that page shows
    ("Segments", "How many customer types?"),
    ("Team plan", "Recommendation per segment"),
    ("Territories", "Where the accounts are"),
    ("Export", "Plan summary"),
]
pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium for the browser test (.ci/run does)")
    pytest.skip(
        "Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True
    )

playwright = pytest.importorskip("playwright.sync_api")

# Done when the marker text (shown only once the action's effect is drawn) is on the page and
# no script is running. A run-state observer alone misses runs so short that the page never
# shows them as running.
DONE = """
([marker]) => document.body.innerText.includes(marker)
  && document.querySelector('[data-testid="stApp"]')
       .getAttribute('data-test-script-state') === 'notRunning'
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    port = _free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    log = log_path.open("wb")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.runOnSave", "false", "--server.fileWatcherType", "none",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        # The app logs a traceback for any failure it turned into a plain message: none expected.
        text = log_path.read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in text, text[-3000:]


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
            ],
        )  # fmt: skip
        yield chromium
        chromium.close()


def _open(browser, url):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    # Nothing leaves the machine: any request to another host is blocked, recorded and fails
    # the test at the end (a favicon from a font CDN did, before the emoji icon).
    context.outside = []
    context.local = []

    def guard(route):
        address = route.request.url
        if address.startswith((url + "/", "data:", "blob:")) or address == url:
            context.local.append(address)
            return route.continue_()
        context.outside.append(address)
        return route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    tab.set_default_timeout(120_000)
    tab.goto(url)
    tab.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    return context, tab


def _act(page, action, marker: str) -> float:
    """Do ``action`` (a click, an upload), wait until ``marker`` shows and the app is idle."""
    start = time.perf_counter()
    action()
    page.wait_for_function(DONE, arg=[marker], timeout=180_000, polling=50)
    elapsed = time.perf_counter() - start
    assert page.locator('[data-testid="stException"]').count() == 0
    return elapsed


def _goto(page, title: str, marker: str) -> float:
    link = page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True)
    return _act(page, link.click, marker)


def _upload(page, path: Path, marker: str) -> float:
    uploader = page.locator(".st-key-accounts_upload input[type=file]")
    return _act(page, lambda: uploader.set_input_files(str(path)), marker)


def test_walk_every_page_and_download_assignments(app_url, browser, tmp_path):
    context, page = _open(browser, app_url)
    try:
        page.get_by_text("the sample").first.wait_for()

        # A report export with its footer, but only 6 accounts: read, then a plan by tiers.
        _upload(page, TOO_SMALL, f"In use: {TOO_SMALL.name}")
        page.get_by_text("3 report footer rows").first.wait_for()
        _goto(page, "Segments", "grouped by firmographic tier")
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0

        _goto(page, "Data", "Column mapping")
        # An old Excel file is refused with a message on the page that says what to do.
        old_excel = tmp_path / "accounts.xls"
        old_excel.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
        _act(
            page,
            lambda: page.locator(".st-key-accounts_upload input[type=file]").set_input_files(
                str(old_excel)
            ),
            "Excel 97-2003",
        )
        page.locator('[data-testid="stAlertContentError"]').get_by_text("accounts.xls").wait_for()

        _upload(page, UPLOAD, f"In use: {UPLOAD.name}")
        expected_rows = _data_rows(UPLOAD)
        page.get_by_text(f"{expected_rows:,}", exact=True).first.wait_for()

        for title, marker in PAGES:
            _goto(page, title, marker)
            assert page.locator('[data-testid="stAlertContentError"]').count() == 0, title
            if title == "Territories":  # the base map comes from this server, and is drawn
                page.locator(".js-plotly-plot .geo").first.wait_for()
                page.wait_for_function(
                    "() => document.querySelectorAll('.js-plotly-plot .geo path.choroplethlocation').length > 0",
                    timeout=60_000,
                )
                assert any("/app/static/topojson/world_110m.json" in u for u in context.local)

        with page.expect_download() as report:
            page.get_by_role("button", name="Executive report (.html)").click()
        html_path = tmp_path / "report.html"
        report.value.save_as(html_path)
        assert "The recommended organisation" in html_path.read_text(encoding="utf-8")
        if page.get_by_role("button", name="Executive report (.pdf)").count():
            with page.expect_download() as printed:
                page.get_by_role("button", name="Executive report (.pdf)").click()
            assert Path(printed.value.path()).read_bytes().startswith(b"%PDF")

        with page.expect_download() as download:
            page.get_by_role("button", name="assignments.csv").click()
        saved = tmp_path / "assignments.csv"
        download.value.save_as(saved)
        rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
        assert len(rows) == expected_rows
        assert {"account_id", "team", "motion", "role", "reason"} <= set(rows[0])
        assert {r["account_id"] for r in rows} == _ids(UPLOAD)
        assert {r["motion"] for r in rows} <= {"field", "inside", "digital"}
        assert context.outside == [], f"requests left the machine: {context.outside[:5]}"
    finally:
        context.close()


@pytest.mark.skipif(not os.environ.get("SCREENSHOTS_DIR"), reason="set SCREENSHOTS_DIR to shoot")
def test_screenshots(app_url, browser, tmp_path):
    folder = Path(os.environ["SCREENSHOTS_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    roster = tmp_path / "roster.csv"
    roster.write_text(_sample_roster(), encoding="utf-8")
    context, page = _open(browser, app_url)
    try:
        page.get_by_text("Data quality").first.wait_for()
        _shoot(page, folder / "1-data.png")
        for i, (title, marker) in enumerate(PAGES, start=2):
            _goto(page, title, marker)
            if title == "Territories":  # the sample's account owners as the roster
                uploader = page.locator(".st-key-roster_upload input[type=file]")
                _act(
                    page,
                    partial(uploader.set_input_files, str(roster)),
                    "Accounts that change owner",
                )
            page.wait_for_timeout(1500)  # let plotly finish drawing
            _shoot(page, folder / f"{i}-{title.lower().replace(' ', '-')}.png")
            if title == "Territories":  # the map, close up, on its states and provinces tab
                page.get_by_role("tab", name="US states and Canadian provinces").click()
                page.wait_for_timeout(2000)
                page.locator('[data-testid="stTabs"]').last.screenshot(
                    path=str(folder / "4b-territory-map.png")
                )
            if title == "Export":  # the executive report, as a VP opens it
                with page.expect_download() as report:
                    page.get_by_role("button", name="Executive report (.html)").click()
                viewer = context.new_page()
                viewer.set_viewport_size({"width": 1100, "height": 1400})
                viewer.set_content(Path(report.value.path()).read_text(encoding="utf-8"))
                viewer.screenshot(path=str(folder / "6-report.png"))
                viewer.close()
            if title == "Segments":  # and its controls, opened
                page.get_by_text("Change the segments").first.click()
                page.get_by_text("Build customer types from").first.wait_for()
                page.wait_for_timeout(800)
                page.locator('[data-testid="stExpander"]').first.screenshot(
                    path=str(folder / "2b-segment-controls.png")
                )
    finally:
        context.close()


def _sample_roster() -> str:
    """The sample's account owners as reps, spread over the plan's teams by headcount."""
    from segmentation.pipeline import run

    sample = run(
        ROOT / "data" / "sample_accounts.csv",
        opportunities=ROOT / "data" / "sample_opportunities.csv",
    )
    teams = sample.team_plan.plan.teams
    teams = teams[teams["headcount"] > 0]
    owners = sample.loaded.accounts["owner"].value_counts().index.astype(str).tolist()
    # Each team gets reps in proportion to its recommended headcount, at least one.
    share = teams["headcount"] / teams["headcount"].sum() * len(owners)
    counts = share.round().clip(lower=1).astype(int).tolist()
    counts[counts.index(max(counts))] += len(owners) - sum(counts)
    lines = ["rep,team"]
    names = iter(owners)
    for team, count in zip(teams["team"], counts):
        lines += [f"{next(names)},{team}" for _ in range(count)]
    return "\n".join(lines) + "\n"


def _shoot(page, path: Path) -> None:
    # Streamlit scrolls inside its main block: measure it so the full page fits in one image.
    height = page.evaluate(
        '() => Math.max(...[...document.querySelectorAll(\'[data-testid="stMain"], '
        '[data-testid="stAppViewContainer"], section.main\')].map(e => e.scrollHeight), 1000)'
    )
    page.set_viewport_size({"width": 1440, "height": int(height) + 40})
    page.wait_for_timeout(800)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 1000})


@pytest.mark.skipif(
    not os.environ.get("DASHBOARD_BENCH"), reason="set DASHBOARD_BENCH=1 to measure"
)
def test_dashboard_performance(app_url, browser, tmp_path):
    from scripts.sample_crm import generate_accounts

    n = int(os.environ.get("DASHBOARD_BENCH_ROWS", "50000"))
    export, _ = generate_accounts(n, seed=1)
    big = tmp_path / f"accounts_{n // 1000}k.csv"
    export.to_csv(big, index=False)
    context, page = _open(browser, app_url)
    timings = {}
    try:
        page.get_by_text("the sample").first.wait_for()
        timings["Data"] = [_upload(page, big, f"In use: {big.name}")]
        for title, marker in PAGES:
            timings[title] = [_goto(page, title, marker)]
        for title, marker in [("Data", "Column mapping"), *PAGES]:
            timings[title].append(_goto(page, title, marker))
        # A playbook change re-plans without re-clustering.
        _goto(page, "Team plan", "Recommendation per segment")
        field_line = page.locator(".st-key-rule_motion_field_min input")
        field_line.fill("30000")
        timings["Team plan (playbook change)"] = [
            _act(page, lambda: field_line.press("Enter"), "1 value changed")
        ]
    finally:
        context.close()
    print(json.dumps({"rows": n, "seconds": timings}, indent=1))
    for page_name, seconds in timings.items():
        assert seconds[-1] < 5, f"{page_name} took {seconds[-1]:.1f}s on a rerun"


def _data_rows(path: Path) -> int:
    return len(_ids(path))


def _ids(path: Path) -> set[str]:
    # Salesforce exports: data rows are those with a 15- or 18-character record id first.
    reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    next(reader)
    return {row[0] for row in reader if row and len(row[0]) in (15, 18)}

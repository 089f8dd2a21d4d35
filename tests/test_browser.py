"""A real browser walk: Debian's Chromium, driven by Playwright, against `streamlit run app.py`.

Set SCREENSHOTS_DIR to keep a PNG of each page (the README's screenshots come from here).
"""

import csv
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

CHROMIUM = "/usr/bin/chromium"
UPLOAD = FIXTURES / "salesforce_report_accounts.csv"
pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium for the browser test (.ci/run does)")
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

playwright = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
        server.wait(timeout=20)


@pytest.fixture(scope="module")
def page(app_url):
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
            ],
        )  # fmt: skip
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        tab = context.new_page()
        tab.set_default_timeout(90_000)
        tab.goto(app_url)
        yield tab
        context.close()
        browser.close()


def _settle(page) -> None:
    # Streamlit shows a running indicator while a script runs; wait until it is gone.
    page.wait_for_timeout(500)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000
    )
    assert page.locator('[data-testid="stException"]').count() == 0


def _shoot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_walk_every_page_and_download_assignments(page, tmp_path):
    page.get_by_text("Showing the sample").wait_for()
    _settle(page)

    page.locator(".st-key-accounts_upload input[type=file]").set_input_files(str(UPLOAD))
    _settle(page)
    expected_rows = _data_rows(UPLOAD)
    page.get_by_text(f"{expected_rows:,}", exact=True).first.wait_for()
    _shoot(page, "1-data")

    for title, marker, shot in [
        ("Segments", "Customer types × verticals", "2-segments"),
        ("Team plan", "Recommendation per segment", "3-team-plan"),
        ("Territories", "Balance per rep", "4-territories"),
        ("Export", "Accounts in the plan", "5-export"),
    ]:
        page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
        page.get_by_text(marker).first.wait_for()
        _settle(page)
        _shoot(page, shot)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download assignments.csv").click()
    saved = tmp_path / "assignments.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert len(rows) == expected_rows
    assert {"account_id", "team", "motion", "role", "reason"} <= set(rows[0])
    assert {r["motion"] for r in rows} <= {"field", "inside", "digital"}


def _data_rows(path: Path) -> int:
    # The fixture is a Salesforce report: data rows are those with an 18-character id.
    reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    next(reader)
    return sum(1 for row in reader if row and len(row[0]) in (15, 18))

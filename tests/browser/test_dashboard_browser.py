"""The dashboard in a real browser: headless Chromium (Debian's package) driven by Selenium through
chromedriver, against a real `facilitator-server serve` process on 127.0.0.1.

A supervisor signs in, the overview's numbers are checked against the API's intensity report
for the same period, a drill-down link is followed, a CSV is downloaded, and the supervisor
signs out. Every page is checked with axe-core (vendored in tests/vendor/axe-core) for serious
or critical accessibility violations, and saved as a screenshot: into docs/screenshots/ (the
README's) with FFK_UPDATE_SCREENSHOTS=1, otherwise into the test's temporary folder, so a test
run leaves the working tree as it was. Without Chromium the test is skipped on a developer
machine and fails in CI (.ci/run installs it).
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

import httpx
import pytest

from tests.dashboard_data import PASSWORD, load_cooperative
from tests.serverproc import REPO, ServerProcess, start_server

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
AXE = REPO / "tests" / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "docs" / "screenshots"
UPDATE_SCREENSHOTS = "FFK_UPDATE_SCREENSHOTS"
WIDTH, HEIGHT = 1366, 768  # the most common facilitator laptop, as for the app's screenshots


def _need_chromium() -> None:
    if os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER):
        return
    if os.environ.get("CI"):
        pytest.fail("CI must run the dashboard's browser test: install Debian's chromium and chromium-driver.")
    pytest.skip("Chromium or chromedriver is not installed (apt-get install chromium chromium-driver).")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, date]]:
    _need_chromium()
    proc = start_server(tmp_path_factory.mktemp("dashboard-browser"))
    from facilitator_app.server.clock import today_utc
    from facilitator_app.server.db import make_engine
    from facilitator_app.server.settings import Settings

    today = today_utc()  # the server's "today": the default period ends on it
    engine = make_engine(Settings(database_url=proc.database_url))
    try:
        load_cooperative(engine, cooperative="Heartland", facilitators=8, practices=48, today=today, seed=11)
    finally:
        engine.dispose()
    yield proc, today
    proc.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    _need_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="ffk-chromium-")
    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
                f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.downloads = downloads  # type: ignore[attr-defined]
    update = os.environ.get(UPDATE_SCREENSHOTS, "") not in ("", "0")
    driver.screenshots = SCREENSHOTS if update else tmp_path_factory.mktemp("screenshots")  # type: ignore[attr-defined]
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    # The page itself 1366x768 (the window's size would include the browser's own bars).
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _axe(driver: object, page: str) -> None:
    """No serious or critical violation on this page (axe-core's WCAG 2 A/AA rules and best practices)."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations)).catch(e => done(String(e)));")
    assert isinstance(result, list), result
    bad = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
           for v in result if v.get("impact") in ("serious", "critical")]
    assert not bad, f"{page}: " + "; ".join(bad)


def _shot(driver: object, name: str, *, at: str | None = None) -> None:
    """What a 1366x768 screen shows of the page: its top, or from the element `at` (a CSS selector)."""
    if at:
        driver.execute_script("document.querySelector(arguments[0]).scrollIntoView()", at)
    else:
        driver.execute_script("window.scrollTo(0, 0)")
    folder: Path = driver.screenshots
    folder.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(folder / f"dashboard-{name}.png")), name


def _until(driver: object, check: Callable[[object], object]) -> None:
    """Wait for the page a click or a key press opened (a form's submit returns before it loads)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 60, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(check)


def _h1(driver: object) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "h1").text


def _cells(driver: object) -> dict[str, list[str]]:
    from selenium.webdriver.common.by import By

    out = {}
    for row in driver.find_elements(By.CSS_SELECTOR, "table.overview tbody tr"):
        name = row.find_element(By.CSS_SELECTOR, "th").text.strip()
        out[name] = [td.text.strip() for td in row.find_elements(By.CSS_SELECTOR, "td")]
    return out


def test_supervisor_session_in_a_real_browser(server: tuple[ServerProcess, date], browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    proc, today = server
    driver = browser
    driver.get(f"{proc.url}/dashboard/")
    assert "/dashboard/login" in driver.current_url  # no session: the sign-in page
    _axe(driver, "sign-in")
    _shot(driver, "login")
    driver.find_element(By.ID, "username").send_keys("sue")
    driver.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)
    _until(driver, lambda d: _h1(d).startswith("Program overview"))

    # The month's numbers on the page are the API's numbers for the same days.
    start = today.replace(day=1)
    signed_in = httpx.post(f"{proc.url}/auth/v1/token", json={"username": "sue", "password": PASSWORD})
    token = signed_in.json()["access_token"]
    report = httpx.get(f"{proc.url}/reports/v1/intensity",
                       params={"today": today.isoformat(), "start": start.isoformat()},
                       headers={"Authorization": f"Bearer {token}"}).json()
    cells = _cells(driver)
    assert {f["facilitator"] for f in report["facilitators"]} == set(cells)
    for f in report["facilitators"]:
        practices, visits, _pct, hours = cells[f["facilitator"]][:4]
        assert (int(practices), int(visits)) == (f["practices"], f["visits"])
        assert abs(float(hours) - f["hours"]) < 0.051
    total = driver.find_elements(By.CSS_SELECTOR, "table.overview tfoot td")
    assert int(total[1].text) == sum(f["visits"] for f in report["facilitators"])
    _axe(driver, "overview")
    _shot(driver, "overview")

    # Keyboard: the first Tab reaches the skip link, and focus is drawn.
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    focused = driver.switch_to.active_element
    assert focused.text == "Skip to content"
    assert driver.execute_script("return getComputedStyle(arguments[0]).outlineStyle", focused) != "none"

    # Print: the navigation and the period form are left off the paper.
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert driver.execute_script("return getComputedStyle(document.querySelector('nav.tabs')).display") == "none"
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

    # A facilitator's page, then the rows behind one of their numbers.
    busiest = max(report["facilitators"], key=lambda f: f["visits"])
    driver.find_element(By.LINK_TEXT, busiest["facilitator"]).click()
    _until(driver, lambda d: _h1(d).startswith(busiest["facilitator"]))
    assert driver.find_elements(By.CSS_SELECTOR, "svg.chart[role=img]")
    _axe(driver, "facilitator")
    _shot(driver, "facilitator")
    shared = driver.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=diary-h] tbody tr")
    assert len(shared) == 3  # the entries the facilitator shared with Sue (tests/dashboard_data.py)
    _shot(driver, "facilitator-diary", at="#diary-h")
    driver.find_element(By.CSS_SELECTOR, "dl.figures a[href*='/dashboard/visits?']").click()
    _until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "p.count"))
    count = driver.find_element(By.CSS_SELECTOR, "p.count").text
    assert count.startswith(f"{busiest['visits']} row")
    _axe(driver, "visits")
    _shot(driver, "visits")

    # The CSV behind the list: the same rows.
    for old in driver.downloads.iterdir():  # type: ignore[attr-defined]
        old.unlink()
    driver.find_element(By.CSS_SELECTOR, "p.count a.download").click()
    deadline = time.monotonic() + 60  # a wait for the file, not a speed check
    files: list[Path] = []
    while time.monotonic() < deadline:
        files = [p for p in driver.downloads.iterdir() if p.suffix == ".csv"]  # type: ignore[attr-defined]
        if files:
            break
        time.sleep(0.1)
    assert files, "the CSV did not download"
    rows = list(csv.DictReader(io.StringIO(files[0].read_text(encoding="utf-8-sig"))))
    assert len(rows) == busiest["visits"] and rows[0]["Facilitator"]

    # A practice: plan, checklist, run charts against the 70% target.
    driver.find_element(By.CSS_SELECTOR, "table.data tbody th a[href*='/dashboard/practices/']").click()
    _until(driver, lambda d: d.find_element(By.ID, "abcs-h"))
    assert "target 70%" in driver.page_source
    _axe(driver, "practice")
    _shot(driver, "practice")
    _shot(driver, "practice-measures", at="#abcs-h")

    # Sign out: the session ends on the server, not only in this browser.
    driver.find_element(By.XPATH, "//button[normalize-space()='Sign out']").click()
    _until(driver, lambda d: "You are signed out." in d.find_element(By.CSS_SELECTOR, "p.notice").text)
    driver.get(f"{proc.url}/dashboard/")
    assert "/dashboard/login" in driver.current_url


def test_cookie_is_secure_behind_a_trusted_tls_proxy(server: tuple[ServerProcess, date]) -> None:
    """uvicorn trusts X-Forwarded-Proto from 127.0.0.1 (serve --forwarded-allow-ips): the request
    counts as https, so the session cookie is marked Secure."""
    proc, _ = server
    https = {"X-Forwarded-Proto": "https"}
    page = httpx.get(f"{proc.url}/dashboard/login", headers=https)
    login_cookie = next(c for c in page.headers.get_list("set-cookie") if c.startswith("ffk_dashboard_login="))
    assert "Secure" in login_cookie  # so httpx would not send it back over plain http: the test sends it
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = httpx.post(f"{proc.url}/dashboard/login", headers={**https, "Cookie": login_cookie.split(";")[0]},
                   data={"username": "sue", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("ffk_dashboard="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie

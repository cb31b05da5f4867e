"""The report site in a real headless browser over file://: Debian's chromium and chromium-driver through selenium.

No browser is downloaded: ``/usr/bin/chromedriver`` drives ``/usr/bin/chromium`` (``.ci/run`` installs both).
The checks do not depend on fonts (a fresh machine has no CJK fonts): console errors, elements, drawn
charts and the outline's place.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_site_common import BuiltSite, build_sample_site
from warehouse.site.data import department_slug, document_slug

CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = pytest.mark.skipif(
    not CHROMEDRIVER.exists() and not os.environ.get("CI"),
    reason="chromium-driver not installed (apt-get install chromium chromium-driver; CI installs it)",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    return build_sample_site(tmp_path_factory.mktemp("browser-site"))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                     "--allow-file-access-from-files"):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _errors(driver: object) -> list[dict[str, object]]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]  # type: ignore[attr-defined]


def _wait(driver: object, condition: str, timeout: float = 20) -> object:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(f"return {condition};"))  # type: ignore[arg-type]


def test_index_lists_both_departments_and_searches(site: BuiltSite, browser: object) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get((site.folder / "index.html").as_uri())  # type: ignore[attr-defined]
    rows = driver.find_elements(By.CSS_SELECTOR, "tr[data-department]")  # type: ignore[attr-defined]
    assert {r.get_attribute("data-department") for r in rows} == {"长沙市政务服务中心", "上海市普陀区财政局"}
    search = driver.find_element(By.ID, "search")  # type: ignore[attr-defined]
    search.send_keys("普陀")
    visible = [r for r in rows if r.is_displayed()]
    assert [r.get_attribute("data-department") for r in visible] == ["上海市普陀区财政局"]
    assert not _errors(driver)


def test_department_page_draws_its_charts_without_console_errors(site: BuiltSite, browser: object) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get((site.folder / "departments" / f"{department_slug('上海市普陀区财政局')}.html").as_uri())  # type: ignore[attr-defined]
    charts = driver.find_elements(By.CSS_SELECTOR, "[data-chart]")  # type: ignore[attr-defined]
    assert len(charts) >= 6
    _wait(driver, "Array.from(document.querySelectorAll('[data-chart]')).every(d => d.dataset.drawn === '1')")
    for chart in charts:  # plotly drew an SVG with its traces into every chart
        assert chart.find_elements(By.CSS_SELECTOR, "svg.main-svg"), chart.get_attribute("id")
    assert _errors(driver) == []


def test_clicking_an_amount_opens_its_page_image_with_the_outline(site: BuiltSite, browser: object) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    sha = next(s for s, p in site.pdfs.items() if p.name.startswith("shanghai"))
    driver.get((site.folder / "documents" / f"{document_slug(sha)}.html").as_uri())  # type: ignore[attr-defined]
    cells = driver.find_elements(By.CSS_SELECTOR, "td.amt")  # type: ignore[attr-defined]
    assert len(cells) == 195
    for cell in (cells[0], cells[-1]):
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", cell)  # type: ignore[attr-defined]
        cell.click()
        _wait(driver, "document.getElementById('viewer').dataset.ready === '1'")
        image = driver.find_element(By.ID, "viewer-img")  # type: ignore[attr-defined]
        assert image.get_attribute("src").endswith(f"/pages/{document_slug(sha)}/p{cell.get_attribute('data-page')}.png")
        assert driver.execute_script("return arguments[0].naturalWidth;", image) > 500  # type: ignore[attr-defined]
        outlines = driver.find_elements(By.CSS_SELECTOR, "#viewer-page .outline")  # type: ignore[attr-defined]
        assert len(outlines) == 1
        box = [float(v) for v in cell.get_attribute("data-bbox").split(",")]
        assert [float(v) for v in outlines[0].get_attribute("data-bbox").split(",")] == box
        # the outline is drawn where the box is on the image: points x image width / page width
        geometry = driver.execute_script(  # type: ignore[attr-defined]
            "const o = arguments[0].getBoundingClientRect(), i = arguments[1].getBoundingClientRect();"
            "return [o.left - i.left, o.top - i.top, o.width, i.width];",
            outlines[0],
            image,
        )
        sizes = driver.execute_script("return window.FISCAL_PAGES[arguments[0]].pages[arguments[1]];", sha,  # type: ignore[attr-defined]
                                      cell.get_attribute("data-page"))  # fmt: skip
        scale = geometry[3] / sizes[0]
        assert abs(geometry[0] - box[0] * scale) < 3 and abs(geometry[1] - box[1] * scale) < 3
        assert abs(geometry[2] - (box[2] - box[0]) * scale) < 3
        assert outlines[0].is_displayed()
    assert _errors(driver) == []


def test_a_quarantined_failure_opens_its_cells_on_the_turned_page(site: BuiltSite, browser: object) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get((site.folder / "documents" / f"{document_slug(site.rotated_sha)}.html").as_uri())  # type: ignore[attr-defined]
    assert driver.find_element(By.ID, "quarantine-banner").is_displayed()  # type: ignore[attr-defined]
    link = driver.find_element(By.CSS_SELECTOR, "table.findings a.open-cells")  # type: ignore[attr-defined]
    link.click()
    _wait(driver, "document.getElementById('viewer').dataset.ready === '1'")
    outlines = driver.find_elements(By.CSS_SELECTOR, "#viewer-page .outline")  # type: ignore[attr-defined]
    assert len(outlines) == len(link.get_attribute("data-bbox").split(";")) >= 1
    assert _errors(driver) == []


def test_the_quality_page_filters_and_opens_a_finding(site: BuiltSite, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser
    driver.get((site.folder / "quality.html").as_uri())  # type: ignore[attr-defined]
    Select(driver.find_element(By.CSS_SELECTOR, "select[data-filter=outcome]")).select_by_visible_text("failure")  # type: ignore[attr-defined]
    rows = [r for r in driver.find_elements(By.CSS_SELECTOR, "tr.finding-row") if r.is_displayed()]  # type: ignore[attr-defined]
    assert len(rows) == 1
    rows[0].find_element(By.CSS_SELECTOR, "a.open-cells").click()
    _wait(driver, "document.getElementById('viewer').dataset.ready === '1'")
    assert driver.find_elements(By.CSS_SELECTOR, "#viewer-page .outline")  # type: ignore[attr-defined]
    assert _errors(driver) == []

"""The staff/phone web page, driven in a real headless Chromium: upload a photo, pick a garment, see the result."""
from __future__ import annotations

import os
import shutil

import pytest
from PIL import Image

from tests.conftest import REPO, person_photo_768x1024, serve

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver"),
]


@pytest.fixture(scope="module")
def default_server(tmp_path_factory):
    """The server as shipped (`config.yaml`: the default backend), with a private catalog cache."""
    from common.config import load_config
    from server.app import create_app

    cache = tmp_path_factory.mktemp("catalog-cache")
    app = create_app(load_config(REPO / "config.yaml", {"server": {"catalog": {"cache_dir": str(cache)}}}), load="sync")
    yield from serve(app)
    app.extensions["tryon"].close()


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1280,1100", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def test_person_photo_and_catalog_garment_give_a_result(browser, default_server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    photo = tmp_path / "me.jpg"
    Image.fromarray(person_photo_768x1024()).save(photo, quality=92)
    browser.get(default_server + "/")
    wait = WebDriverWait(browser, 120)
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".garment")))

    person_input = browser.find_element(By.ID, "person-input")
    browser.execute_script("arguments[0].style.display = 'block';", person_input)
    person_input.send_keys(str(photo))
    browser.find_elements(By.CSS_SELECTOR, ".garment")[0].click()
    wait.until(EC.element_to_be_clickable((By.ID, "go"))).click()

    wait.until(EC.visibility_of_element_located((By.ID, "result-image")))
    status = browser.find_element(By.ID, "status").text
    assert status == "Done.", status
    size = browser.execute_script("const i = document.getElementById('result-image');"
                                  "return [i.naturalWidth, i.naturalHeight];")
    assert size == [768, 1024]
    stages = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#timings th")]
    assert "total" in stages and "tryon" in stages
    if os.environ.get("SAVE_SCREENSHOTS"):
        browser.save_screenshot(os.environ["SAVE_SCREENSHOTS"] + "/web-page.png")

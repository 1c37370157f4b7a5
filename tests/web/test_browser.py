"""The desk in a real browser: headless Chromium driven by Selenium against uvicorn."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.web.conftest import PASSWORD
from tests.web.data import make_queue
from tests.web.live import screenshot

pytestmark = pytest.mark.slow


def log_in(driver, live, name: str, here: bool = False) -> None:
    """Fill the login form (of the page the browser is on when ``here``)."""
    if not here:
        driver.get(live.url + "/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)
    WebDriverWait(driver, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".who")))


def test_log_in_and_search_a_phone_number_written_another_way(live, browsers):
    with live.desk.factory.begin() as session:
        q = make_queue(session)
    live.desk.user("ann")
    driver = browsers()
    driver.get(live.url + "/search")
    assert driver.current_url.startswith(live.url + "/login?next=")
    screenshot(driver, "login")
    log_in(driver, live, "ann", here=True)
    assert driver.current_url == live.url + "/search"
    box = driver.find_element(By.ID, "q")
    box.send_keys("0085512-345-678" + Keys.ENTER)
    WebDriverWait(driver, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "p.searched")))
    assert "+85512345678" in driver.find_element(By.CSS_SELECTOR, "p.searched").text
    found = {a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "tr[data-href] td:first-child a")}
    assert found == {f"{live.url}/ads/{q.ads[n]}" for n in "abc"}
    screenshot(driver, "search-phone")


def test_slash_focuses_search_and_question_mark_opens_help(live, browsers):
    live.desk.user("ann")
    driver = browsers()
    log_in(driver, live, "ann")
    driver.get(live.url + "/trends")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys("?")
    assert driver.find_element(By.ID, "help").is_displayed()
    screenshot(driver, "help")
    body.send_keys(Keys.ESCAPE)
    WebDriverWait(driver, 5).until(lambda d: not d.find_element(By.ID, "help").is_displayed())
    body.send_keys("/")
    assert driver.switch_to.active_element.get_attribute("id") == "quick-q"


def test_hostile_ad_runs_no_script_and_loads_nothing(live, browsers):
    pixel = f"{live.url}/lure-pixel.png?who=analyst"
    with live.desk.factory.begin() as session:
        make_queue(session, pixel_url=pixel)
    live.desk.user("ann")
    driver = browsers()
    log_in(driver, live, "ann")
    driver.get(live.url + "/search?q=Hiring&kind=text")
    assert "<script>window.__pwned=1</script>Hiring" in driver.find_element(By.CSS_SELECTOR, "td.title").text
    assert driver.execute_script("return window.__pwned === undefined")
    screenshot(driver, "search-hostile")
    assert not [p for p in live.log.paths() if p.startswith("/lure-pixel")], live.log.requests

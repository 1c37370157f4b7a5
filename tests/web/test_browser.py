"""The desk in a real browser: headless Chromium driven by Selenium against uvicorn."""

from __future__ import annotations

import threading
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.store.queue_fixtures import make_ad, score
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


def _wait_for_item(driver, previous_url: str, timeout: float = 15) -> str:
    """The item page the desk moved on to after a decision (the address changes in place)."""
    WebDriverWait(driver, timeout).until(lambda d: d.current_url != previous_url and "/items/" in d.current_url)
    WebDriverWait(driver, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, "form[data-decide]")))
    return driver.current_url


def _queue_as_ann(live, browsers, **queue):
    """A queue, ann logged in on its page; (the queue's ids, the browser)."""
    with live.desk.factory.begin() as session:
        q = make_queue(session, **queue)
    live.desk.user("ann")
    driver = browsers()
    log_in(driver, live, "ann")
    driver.get(live.url + "/queue")
    return q, driver


def test_claim_and_decide_three_items_with_the_keyboard_alone(live, browsers):
    q, driver = _queue_as_ann(live, browsers)
    screenshot(driver, "queue")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys("j")
    assert "current" in driver.find_element(By.CSS_SELECTOR, "tr[data-href]").get_attribute("class")
    body.send_keys("c")  # claim the next item and open it
    WebDriverWait(driver, 15).until(EC.url_contains("/items/"))
    assert driver.current_url.endswith(f"/items/{q.items['a']}")
    screenshot(driver, "item")
    decided = []
    for key in ("s", "n", "x"):
        here = driver.current_url
        decided.append(int(here.rsplit("/", 1)[1]))
        driver.find_element(By.TAG_NAME, "body").send_keys(key)
        _wait_for_item(driver, here)
    screenshot(driver, "after-three-decisions")
    with live.desk.factory() as session:
        from store.schema import ReviewItem

        items = {i.id: i for i in session.query(ReviewItem).filter(ReviewItem.id.in_(decided))}
    assert [items[i].status for i in decided] == ["scam", "needs_info", "skipped"]
    assert {items[i].decided_by for i in decided} == {"ann"}
    assert decided == [q.items["a"], q.items["b"], q.items["c"]]
    assert "skipped (by ann). Next one." in driver.find_element(By.CSS_SELECTOR, ".flashes").text


def test_clearing_a_high_score_without_a_note_is_refused_in_the_page(live, browsers):
    q, driver = _queue_as_ann(live, browsers)
    driver.find_element(By.TAG_NAME, "body").send_keys("c")
    WebDriverWait(driver, 15).until(EC.url_contains(f"/items/{q.items['a']}"))
    driver.find_element(By.TAG_NAME, "body").send_keys("l")
    WebDriverWait(driver, 15).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash-error")))
    assert "needs a note" in driver.find_element(By.CSS_SELECTOR, ".flash-error").text
    screenshot(driver, "note-required")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys("e")
    driver.switch_to.active_element.send_keys("Real hotel, checked the licence" + Keys.ESCAPE)
    here = driver.current_url
    driver.find_element(By.TAG_NAME, "body").send_keys("l")
    _wait_for_item(driver, here)
    with live.desk.factory() as session:
        from store.schema import ReviewItem

        item = session.get(ReviewItem, q.items["a"])
    assert item.status == "legit" and item.note == "Real hotel, checked the licence"


def test_open_a_campaign(live, browsers):
    q, driver = _queue_as_ann(live, browsers)
    driver.get(f"{live.url}/items/{q.items['b']}")
    driver.find_element(By.LINK_TEXT, f"C{q.campaign}").click()
    WebDriverWait(driver, 10).until(EC.url_contains(f"/campaigns/{q.campaign}"))
    rows = driver.find_elements(By.CSS_SELECTOR, "table[data-rows] tbody tr")
    assert len(rows) == 3 and all("shares phone" in r.text or "near-duplicate" in r.text for r in rows[1:])
    timeline = driver.find_element(By.CSS_SELECTOR, "svg.timeline")
    assert len(timeline.find_elements(By.CSS_SELECTOR, "rect")) == 3 and timeline.size["width"] > 100
    screenshot(driver, "campaign")


def test_hostile_ad_page_runs_no_script_and_loads_nothing(live, browsers):
    pixel = f"{live.url}/lure-pixel.png?who=analyst"
    q, driver = _queue_as_ann(live, browsers, pixel_url=pixel)
    driver.get(f"{live.url}/items/{q.items['hostile']}")
    text = driver.find_element(By.CSS_SELECTOR, ".adtext").text
    assert '<img src="' + pixel + '">' in text and "<script src=" in text
    assert driver.find_element(By.CSS_SELECTOR, "h1.adtitle").text.startswith("<script>window.__pwned=1</script>")
    assert driver.execute_script("return window.__pwned === undefined")
    assert driver.find_elements(By.CSS_SELECTOR, "main img, main iframe, main script, main svg, main object") == []
    assert not driver.find_elements(By.CSS_SELECTOR, "a[href^='javascript:']")
    screenshot(driver, "item-hostile")
    time.sleep(0.5)  # anything the page had asked for would have reached the server by now
    assert not [p for p in live.log.paths() if "lure-pixel" in p], live.log.requests
    assert [p for p in live.log.paths() if p.startswith(f"/items/{q.items['hostile']}")]  # the log does record


def test_two_analysts_in_two_browsers_never_hold_the_same_item(live, browsers):
    with live.desk.factory.begin() as session:
        for n in range(12):
            ad = make_ad(session, 100 + n, description=f"distinct vacancy text number {n} " * (n + 2))
            score(session, ad, 0.95 - n / 100)
    live.desk.user("ann")
    live.desk.user("bob")
    ann, bob = browsers("ann"), browsers("bob")
    for driver, name in ((ann, "ann"), (bob, "bob")):
        log_in(driver, live, name)
        driver.get(live.url + "/queue")

    def press(driver, key, barrier):
        barrier.wait()
        driver.find_element(By.TAG_NAME, "body").send_keys(key)

    seen: dict[str, list[int]] = {"ann": [], "bob": []}
    for round_ in range(4):
        barrier = threading.Barrier(2)
        urls = {"ann": ann.current_url, "bob": bob.current_url}
        key = "c" if round_ == 0 else "x"
        threads = [threading.Thread(target=press, args=(d, key, barrier)) for d in (ann, bob)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for driver, name in ((ann, "ann"), (bob, "bob")):
            if round_ == 0:
                WebDriverWait(driver, 15).until(EC.url_contains("/items/"))
            else:
                _wait_for_item(driver, urls[name])
            seen[name].append(int(driver.current_url.rsplit("/", 1)[1]))
        assert seen["ann"][-1] != seen["bob"][-1], seen
    screenshot(ann, "two-analysts-ann")
    screenshot(bob, "two-analysts-bob")
    with live.desk.factory() as session:
        from store.schema import ReviewEvent

        claims = [
            (e.item_id, e.actor) for e in session.query(ReviewEvent).filter(ReviewEvent.new_status == "in_review")
        ]
    holders: dict[int, set[str]] = {}
    for item_id, actor in claims:
        holders.setdefault(item_id, set()).add(actor)
    assert all(len(h) == 1 for h in holders.values()), holders
    assert not set(seen["ann"]) & set(seen["bob"])


def test_logout_ends_the_session_so_the_old_cookie_opens_nothing(live, browsers):
    """Issue 24: log in, keep a copy of the session cookie, log out, put the copy back: the
    desk answers with the login page, not the queue (the session ended on the server)."""
    from web.app import SESSION_COOKIE

    live.desk.user("ann")
    driver = browsers()
    log_in(driver, live, "ann")
    driver.get(live.url + "/queue")
    assert driver.current_url == live.url + "/queue"
    old = driver.get_cookie(SESSION_COOKIE)
    assert old and old["value"]
    driver.find_element(By.CSS_SELECTOR, ".who form button[type=submit]").click()
    WebDriverWait(driver, 10).until(EC.url_contains("/login"))
    driver.delete_all_cookies()
    driver.add_cookie({"name": SESSION_COOKIE, "value": old["value"], "path": "/"})
    driver.get(live.url + "/queue")
    assert driver.current_url.startswith(live.url + "/login?next="), driver.current_url
    assert driver.find_elements(By.ID, "password") and not driver.find_elements(By.CSS_SELECTOR, ".who")
    screenshot(driver, "logout-old-cookie")

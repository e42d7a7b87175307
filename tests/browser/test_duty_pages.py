"""A shift's end on the page, on the demo at 600× (a twelve-hour shift in 72 s): the handover
signed, refused with a reason, signed again and accepted; the shift report opened, downloaded
as PDF, reviewed and signed, all by clicking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.harness.browser import open_page, serve, shoot, token
from tests.harness.processes import stop, wait_until

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the example station's zone


@pytest.fixture(scope="module")
def fast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, base = serve(tmp_path_factory.mktemp("fast") / "data", "--speed", "600")
    try:
        yield base
    finally:
        out = stop(proc)
        assert "Traceback" not in out, out


def test_a_handover_is_signed_refused_and_accepted_on_the_page(
    fast: str,
    browser: Browser,
) -> None:
    now = wait_until(
        lambda: (
            (n := httpx.get(f"{fast}/api/duty/now").json())["previous_handover"] == "drafted" and n
        ),
        150,
        "a shift ended and its handover drafted",
    )
    shift = now["previous_shift"]
    out, errors = open_page(browser, fast, "operator", view="duty/handover")
    panel = out.locator(f"[data-handover='{shift}']")
    expect(panel.locator("#ho-state")).to_contain_text("已起草")
    out.fill("textarea[name=problems]", "filter A ΔP rising, change planned")
    out.click("#ho-sign button[value=sign]")
    expect(out.locator("#ho-state")).to_contain_text("交班已签字")
    into, errors_in = open_page(browser, fast, "leader", view="duty/handover")
    into.fill("#ho-sign input[name=reason]", "the round of 18:00 is not in the log")
    into.click("#ho-sign button[value=refuse]")
    expect(into.locator("#ho-state")).to_contain_text("拒绝接班")
    shoot(into, "handover-refused-1920x1080")
    steps = httpx.get(f"{fast}/api/duty/handovers/{shift}").json()["steps"]
    assert [s["step"] for s in steps] == ["drafted", "signed", "refused"]
    assert steps[-1]["reason"] == "the round of 18:00 is not in the log"
    assert steps[1]["notes"] == {"problems": "filter A ΔP rising, change planned"}
    out.reload()
    out.wait_for_selector("#ho-sign")
    out.click("#ho-sign button[value=sign]")
    expect(out.locator("#ho-state")).to_contain_text("交班已签字")
    into.reload()
    into.wait_for_selector("#ho-sign")
    into.click("#ho-sign button[value=accept]")
    # the click's request takes its time (it was read back at once, and once under load the
    # acceptance was not in yet); then the page shows the next shift's handover
    final = wait_until(
        lambda: (
            (h := httpx.get(f"{fast}/api/duty/handovers/{shift}").json())["state"] == "accepted"
            and h
        ),
        10,
        "the handover accepted",
    )
    assert [s["step"] for s in final["steps"]] == [
        "drafted",
        "signed",
        "refused",
        "signed",
        "accepted",
    ]
    assert errors == [] and errors_in == []
    out.close()
    into.close()


def test_a_report_opens_downloads_and_is_signed_on_the_page(
    fast: str,
    browser: Browser,
    tmp_path: Path,
) -> None:
    wait_until(lambda: httpx.get(f"{fast}/api/reports", params={"kind": "shift"}).json(), 150,
               "a shift report")  # fmt: skip
    leader, errors = open_page(browser, fast, "leader", view="reports")
    row = leader.locator("tr[data-report^='shift/']").first
    period = (row.get_attribute("data-report") or "").split("/", 1)[1]
    with leader.expect_download() as download:
        row.locator("a", has_text="PDF").click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    with leader.expect_popup() as popup:
        row.locator("a", has_text="HTML").click()
    popup.value.wait_for_load_state()
    expect(popup.value.locator("h1").first).to_contain_text("门站班报")
    popup.value.close()
    row.locator("button", has_text="审核").click()
    expect(leader.locator(f"tr[data-report='shift/{period}']")).to_contain_text("已审核")
    master, errors_m = open_page(browser, fast, "master", view="reports")
    master.locator(f"tr[data-report='shift/{period}'] button", has_text="签字").click()
    expect(master.locator(f"tr[data-report='shift/{period}']")).to_contain_text("已签发")
    shoot(master, "reports-1920x1080")
    signed = httpx.get(f"{fast}/api/reports/shift/{period}").json()
    assert (signed["status"], signed["reviewed_by"], signed["signed_by"]) == (
        "signed", "leader", "master")  # fmt: skip
    assert errors == [] and errors_m == []
    leader.close()
    master.close()


def test_an_expired_session_still_acknowledges_from_the_page(fast: str, browser: Browser) -> None:
    """A session lasts 8 h of station time (48 s at 600×): past it, a log entry asks for a new
    login, and an acknowledgement still goes through, in the operator's name."""
    page, errors = open_page(browser, fast, "operator", view="alarms")
    expires = page.evaluate("JSON.parse(sessionStorage.getItem('session')).expires")
    wait_until(
        lambda: httpx.get(f"{fast}/api/station").json()["now"] > expires, 120, "the session expired"
    )
    page.goto(f"{fast}/#duty/log")
    page.wait_for_selector("#log-write")
    page.fill("#log-write input[name=text]", "written after the session expired")
    page.click("#log-write button")
    # said in the page's language (it was the raw API text), and the header no longer shows
    # the operator as logged in: it offers a login
    expect(page.locator("#log-error")).to_have_text("会话已过期，请重新登录")
    expect(page.locator("#who")).to_contain_text("会话已过期")
    expect(page.locator("#who #login")).to_be_visible()
    entries = httpx.get(f"{fast}/api/duty/log", params={"text": "after the session"}).json()
    assert entries == []
    page.goto(f"{fast}/#alarms")
    button = page.locator("button[data-ack]").first
    expect(button).to_be_visible(timeout=30_000)
    alarm = button.get_attribute("data-ack")
    button.click()
    page.fill("dialog input[name=comment]", "acknowledged on an expired session")
    page.click("dialog button.primary")
    expect(page.locator("dialog[open]")).to_have_count(0)
    acked = wait_until(
        lambda: httpx.get(
            f"{fast}/api/alarms/history", params={"alarm": alarm, "event": "acknowledged"}
        ).json(),
        5,
        "acknowledged",
    )
    assert acked[-1]["user"] == "operator"
    assert acked[-1]["comment"] == "acknowledged on an expired session"
    # the only errors are the refused log entry's
    assert all("401" in e for e in errors), errors
    page.close()


def test_the_duty_log_shows_the_newest_first_pages_back_and_filters(
    fast: str, browser: Browser
) -> None:
    """After a day the log holds hundreds of entries: the view shows the newest first (it
    showed the oldest 200, so a day's events and a write from the page never appeared),
    pages back on demand, filters by category and station time, and shows a write at once."""
    op = token(fast, "operator")
    with httpx.Client(base_url=fast, headers=op, timeout=10) as http:
        for i in range(250):
            r = http.post("/api/duty/log", json={"category": "note", "text": f"entry {i:03}"})
            assert r.status_code == 200, r.text
    page, errors = open_page(browser, fast, "operator", view="duty/log")
    rows = page.locator("#log-rows tr")
    page.select_option("#log-search select[name=category]", "note")
    page.click("#log-search button")
    expect(rows.first).to_contain_text("entry 249")
    expect(rows.first.locator("td").nth(1)).to_have_text("记事")  # the category in words
    expect(rows).to_have_count(100)
    page.click("#log-older")
    expect(rows).to_have_count(200)
    page.click("#log-older")
    expect(rows).to_have_count(250)
    expect(rows.last).to_contain_text("entry 000")
    expect(page.locator("#log-older")).to_be_hidden()
    # a window in station time, typed as the station writes it
    notes = httpx.get(f"{fast}/api/duty/log", params={"category": "note", "limit": 1000}).json()
    start, end = (
        datetime.fromisoformat(notes[i]["event_time"])
        .astimezone(SHANGHAI)
        .strftime("%Y-%m-%d %H:%M")
        for i in (100, 150)
    )
    page.fill("#log-search input[name=start]", start)
    page.fill("#log-search input[name=end]", end)
    page.click("#log-search button")
    window = httpx.get(
        f"{fast}/api/duty/log",
        params={
            "category": "note",
            "start": start.replace(" ", "T"),
            "end": end.replace(" ", "T"),
            "limit": 1000,
        },
    ).json()
    assert 0 < len(window) <= 100
    expect(rows).to_have_count(len(window))
    expect(rows.first).to_contain_text(window[-1]["text"])
    # a write from the page is shown at once, the filters cleared
    page.fill("#log-write input[name=text]", "gas smell at the filter checked: none")
    page.click("#log-write button")
    written = rows.filter(has_text="gas smell at the filter checked")
    expect(written).to_have_count(1)
    assert written.evaluate("tr => tr.rowIndex") <= 5  # automatic entries may come between
    expect(page.locator("#log-search select[name=category]")).to_have_value("")
    assert errors == []
    page.close()

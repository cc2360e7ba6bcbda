"""The dashboard (/dashboard/): sign-in, sessions and CSRF, scoping, and every number of the
overview against figures worked out by hand from a small cooperative pushed through the real API.

Runs on SQLite and PostgreSQL (the `api` fixture). The arrival day of each visit (log
timeliness) is set in `mutation_log.received_ms` after the push: the server stamps arrival with
its clock, and the test says when each laptop synced.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from facilitator_app.core.model import DiaryEntry, FacilitationPlan, NextStep, Practice, StrategyWork, Visit
from facilitator_app.server import accounts
from facilitator_app.server import tables as t
from facilitator_app.server.dashboard import sessions
from tests.server.helpers import PASSWORD, Api, Device

END = "2026-06-30"
JUNE = {"period": "month", "end": END}


def _ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 15, tzinfo=timezone.utc).timestamp() * 1000)


def sign_in(api: Api, name: str, password: str = PASSWORD, *, follow: bool = False):
    page = api.client.get("/dashboard/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return api.client.post("/dashboard/login", data={"username": name, "password": password, "csrf_token": token,
                                                     "next": "/dashboard/"}, follow_redirects=follow)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def read_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


@dataclass
class Coop:
    ann: Device
    bob: Device
    sue: Device
    p1: Practice
    p2: Practice
    p3: Practice
    p4: Practice
    visits: dict[str, Visit]


def _set_arrival(api: Api, visit: Visit, days_late: int) -> None:
    from datetime import timedelta
    with api.engine.begin() as conn:
        conn.execute(update(t.mutation_log).where(t.mutation_log.c.row_id == visit.id)
                     .values(received_ms=_ms(visit.date + timedelta(days=days_late))))


@pytest.fixture
def coop(api: Api) -> Coop:
    """Ann (2 practices) and Bob (2 practices, one paused) in "coop"; Sue supervises. The figures
    each test expects are worked out in the comments."""
    ann, bob, sue = api.user("ann"), api.user("bob"), api.user("sue", role="supervisor")
    api.admin(accounts.set_details, "ann", full_name="Ann Example", email=None)
    p1 = Practice(name="Oak Clinic", enrolled_on=date(2026, 1, 1), end_on=date(2026, 12, 30))  # 365-day plan
    p2 = Practice(name="=HYPERLINK(\"http://evil.example\")", enrolled_on=date(2026, 3, 1))  # 12 months from enrolment
    p3 = Practice(name="Pine Health", enrolled_on=date(2026, 1, 1))
    p4 = Practice(name="Ash Clinic", status="paused", enrolled_on=date(2026, 1, 1))
    v0 = Visit(p2.id, date(2026, 5, 10), minutes=60, private_notes="Met the team.",
               strategies=[StrategyWork("C1", "not_selected", "selected")])
    v1 = Visit(p1.id, date(2026, 6, 2), minutes=60, practice_notes="Reviewed BP workflow.",
               strategies=[StrategyWork("B1", "selected", "in_progress")])
    v2 = Visit(p1.id, date(2026, 6, 20), minutes=90)  # no notes, no strategy, no step: incomplete
    v3 = Visit(p2.id, date(2026, 6, 25), minutes=30, mode="phone", private_notes="Short call.",
               strategies=[StrategyWork("X1", "not_selected", "selected"),
                           StrategyWork("B1", "in_progress", "in_progress")])
    v4 = Visit(p3.id, date(2026, 5, 1), minutes=45, private_notes="Kick-off.",
               strategies=[StrategyWork("S1", "selected", "implemented")])
    steps = [
        NextStep(p1.id, v1.id, "Repeat BP for high readings", owner="Dr. Lee", due=date(2026, 6, 20)),  # overdue at end
        NextStep(p2.id, v3.id, "+1 call the quitline", owner="", due=date(2026, 7, 10)),  # open, no owner
        NextStep(p2.id, v3.id, "Print posters", owner="Ann", status="done", closed_on=date(2026, 6, 28)),  # no due
        NextStep(p2.id, v0.id, "Pull the registry", owner="Kim", due=date(2026, 5, 31), status="done",
                 closed_on=date(2026, 7, 5)),  # closed after the end: open and overdue on 30 June
    ]
    ann.push([ann.create(p1, "practice"), ann.create(p2, "practice"),
              ann.create(FacilitationPlan(p1.id, planned_visits=12, planned_hours=12.0), "plan"),
              ann.create(FacilitationPlan(p2.id, planned_visits=24, planned_hours=24.0), "plan"),
              *[ann.create(v, "visit") for v in (v0, v1, v2, v3)], *[ann.create(s, "next_step") for s in steps]])
    bob.push([bob.create(p3, "practice"), bob.create(p4, "practice"), bob.create(v4, "visit")])
    for visit, late in ((v0, 0), (v1, 1), (v2, 10), (v3, 3), (v4, 20)):
        _set_arrival(api, visit, late)
    return Coop(ann, bob, sue, p1, p2, p3, p4, {"v0": v0, "v1": v1, "v2": v2, "v3": v3, "v4": v4})


# -- sign-in, sessions, CSRF -----------------------------------------------------------------

def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_needs_the_csrf_token(api: Api, coop: Coop) -> None:
    first = api.client.get("/dashboard/", params=JUNE, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].startswith("/dashboard/login?next=")
    r = sign_in(api, "sue")
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(sessions.COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # plain http to the test server
    page = api.client.get("/dashboard/", params=JUNE)
    assert page.status_code == 200 and "Program overview" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    # Every POST form carries the session's token; a sign-out without it is refused.
    assert page.text.count('name="csrf_token"') == 1
    refused = api.client.post("/dashboard/logout", data={"csrf_token": "forged"})
    assert refused.status_code == 403 and "did not come from your dashboard" in refused.text
    assert api.client.get("/dashboard/", params=JUNE).status_code == 200  # still signed in
    out = api.client.post("/dashboard/logout", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 200 and "You are signed out." in out.text
    after = api.client.get("/dashboard/", params=JUNE, follow_redirects=False)
    assert after.status_code == 303


def test_sign_in_form_refuses_a_missing_csrf_token_and_a_wrong_password(api: Api, coop: Coop) -> None:
    api.client.get("/dashboard/login")
    r = api.client.post("/dashboard/login", data={"username": "sue", "password": PASSWORD, "csrf_token": "nope"})
    assert r.status_code == 403 and "expired or did not come from this page" in r.text
    r = sign_in(api, "sue", "wrong password")
    assert r.status_code == 401 and "Wrong user name or password." in r.text
    assert sessions.COOKIE + "=" not in "".join(r.headers.get_list("set-cookie"))


def test_cookie_is_secure_over_tls(api: Api, coop: Coop) -> None:
    api.client.base_url = "https://testserver"
    r = sign_in(api, "sue")
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(sessions.COOKIE + "="))
    assert "Secure" in cookie


def test_facilitators_get_403_with_a_plain_message(api: Api, coop: Coop) -> None:
    r = sign_in(api, "ann")
    assert r.status_code == 403
    assert "The dashboard is for supervisors and program leads." in r.text and "Field Kit app" in r.text
    assert sessions.COOKIE + "=" not in "".join(c for c in r.headers.get_list("set-cookie") if "Max-Age=0" not in c)
    with api.engine.connect() as conn:
        assert sessions.session_count(conn, coop.ann.api.admin(accounts.get_user, "ann").id) == 0


def test_sign_in_rate_limit_is_the_apis_and_shared_with_it(api: Api, coop: Coop) -> None:
    for _ in range(5):
        assert sign_in(api, "sue", "wrong password").status_code == 401
    r = sign_in(api, "sue")  # even the right password waits now
    assert r.status_code == 429 and "Too many failed sign-in attempts" in r.text
    api_try = api.client.post("/auth/v1/token", json={"username": "sue", "password": PASSWORD})
    assert api_try.status_code == 429


@pytest.mark.parametrize("how", ["revoke", "disable", "password"])
def test_sessions_end_on_revoke_disable_and_password_change(api: Api, coop: Coop, how: str) -> None:
    assert sign_in(api, "sue").status_code == 303
    assert api.client.get("/dashboard/", params=JUNE).status_code == 200
    if how == "revoke":
        api.admin(accounts.revoke_tokens, "sue")
    elif how == "disable":
        api.admin(accounts.set_disabled, "sue", True)
    else:
        api.admin(accounts.set_password, "sue", "a brand new password")
    r = api.client.get("/dashboard/", params=JUNE, follow_redirects=False)
    assert r.status_code == 303 and "ended=1" in r.headers["location"]
    page = api.client.get(r.headers["location"])
    assert "Your sign-in has ended" in page.text


def test_next_only_leads_to_the_dashboard(api: Api, coop: Coop) -> None:
    page = api.client.get("/dashboard/login")
    r = api.client.post("/dashboard/login", data={"username": "sue", "password": PASSWORD,
                                                  "csrf_token": csrf_of(page.text), "next": "https://evil.example/"},
                        follow_redirects=False)
    assert r.headers["location"] == "/dashboard/"


# -- scoping ---------------------------------------------------------------------------------

def test_supervisors_see_their_cooperative_and_admins_every_one(api: Api, coop: Coop) -> None:
    other = api.user("olga", cooperative="other")
    api.user("otto", role="supervisor", cooperative="other")
    secret = Practice(name="Other Co-op Clinic")
    other.push([other.create(secret, "practice")])
    assert sign_in(api, "sue").status_code == 303
    page = api.client.get("/dashboard/", params={**JUNE, "period": "program"}).text
    assert "Ann Example" in page and "olga" not in page
    assert "Other Co-op Clinic" not in api.client.get("/dashboard/practices", params=JUNE).text
    assert api.client.get(f"/dashboard/practices/{secret.id}", params=JUNE).status_code == 404
    assert api.client.get("/dashboard/facilitators/olga", params=JUNE).status_code == 404
    api.client.cookies.clear()
    api.user("root", role="admin", cooperative=None)
    assert sign_in(api, "root").status_code == 303
    everything = api.client.get("/dashboard/practices", params=JUNE).text
    assert "Other Co-op Clinic" in everything and "Oak Clinic" in everything
    with api.engine.connect() as conn:
        other_id = accounts.cooperative_id(conn, "other")
    only_other = api.client.get("/dashboard/practices", params={**JUNE, "coop": other_id}).text
    assert "Other Co-op Clinic" in only_other and "Oak Clinic" not in only_other
    assert api.client.get(f"/dashboard/practices/{secret.id}", params=JUNE).status_code == 200


# -- the numbers -----------------------------------------------------------------------------

def _overview_csv(api: Api, **params: str) -> dict[str, dict[str, str]]:
    r = api.client.get("/dashboard/facilitators.csv", params={**JUNE, **params})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="facilitators-month-2026-06-30.csv"' == r.headers["content-disposition"] or params
    return {row["User name"] or "TOTAL": row for row in read_csv(r.text)}


def test_june_overview_matches_the_figures_worked_out_by_hand(api: Api, coop: Coop) -> None:
    assert sign_in(api, "sue").status_code == 303
    rows = _overview_csv(api)
    ann, bob, total = rows["ann"], rows["bob"], rows["TOTAL"]
    assert ann["Facilitator"] == "Ann Example" and bob["Facilitator"] == "bob"
    # Ann: 3 June visits (60 + 90 + 30 minutes) at her 2 practices. Expected: Oak 12 visits over a
    # 365-day plan, 30 June days -> 0.986; Elm 24 over 365 days from 1 March -> 1.973: 3.0 in all.
    assert (ann["Practices"], ann["Visits"], ann["Hours"]) == ("2", "3", "3.0")
    plan = (ann["Visits expected by plan"], ann["Visits % of plan"], ann["Hours expected by plan"])
    assert plan == ("3.0", "100.0", "3.0")
    # Log delays 1, 10 and 3 days: median 3; 90th percentile 3 + 0.8 * (10 - 3) = 8.6.
    assert (ann["Log delay median (days)"], ann["Log delay 90th percentile (days)"]) == ("3.0", "8.6")
    # v1 and v3 have notes, a strategy and a step; v2 has none of them.
    assert (ann["Visits with notes"], ann["Visits with a strategy"], ann["Visits with a next step"]) == ("2", "2", "2")
    assert (ann["Complete visit logs"], ann["Complete visit logs %"]) == ("2", "67.0")
    # Steps made in June: 3, of which only "Repeat BP" has both an owner and a due date.
    assert (ann["Next steps made"], ann["Next steps with owner and due date"]) == ("3", "1")
    assert ann["Next steps with owner and due date %"] == "33.0"
    # Open on 30 June: Repeat BP (overdue), +1 call (due in July), Pull the registry (closed 5 July, overdue).
    assert (ann["Open next steps"], ann["Overdue next steps"]) == ("3", "2")
    # B1 selected -> in progress at Oak, X1 -> selected at Elm; B1 in progress -> in progress is no move.
    assert ann["Strategies moved forward"] == "2"
    assert ann["Practices without contact 45+ days"] == "0"
    assert ann["Needs attention"] == ("Incomplete logs: 67% of visits have notes, a strategy and a next step; "
                                      "Next steps without owner or due date: only 33% have both")
    # Bob: no June visit; Pine's last visit 1 May is 60 days back (stalled); Ash is paused (not counted).
    stalled = "Practices without contact 45+ days"
    assert (bob["Practices"], bob["Visits"], bob["Hours"], bob[stalled]) == ("2", "0", "0.0", "1")
    assert bob["Visits expected by plan"] == "" and bob["Log delay median (days)"] == ""
    assert bob["Needs attention"] == ""
    assert (total["Practices"], total["Visits"], total["Hours"], total[stalled]) == ("4", "3", "3.0", "1")
    assert (total["Log delay median (days)"], total["Log delay 90th percentile (days)"]) == ("3.0", "8.6")
    assert (total["Open next steps"], total["Overdue next steps"], total["Strategies moved forward"]) == ("3", "2", "2")


def test_program_to_date_and_the_api_agree(api: Api, coop: Coop) -> None:
    assert sign_in(api, "sue").status_code == 303
    rows = _overview_csv(api, period="program")
    # Every visit up to 30 June: Ann 4 (v0 in May too), Bob 1. Delays: Ann 0, 1, 3, 10; Bob 20.
    ann, bob = rows["ann"], rows["bob"]
    assert (ann["Visits"], ann["Hours"], bob["Visits"], bob["Hours"]) == ("4", "4.0", "1", "0.75")
    assert (rows["ann"]["Log delay median (days)"], rows["ann"]["Log delay 90th percentile (days)"]) == ("2.0", "7.9")
    assert rows["ann"]["Strategies moved forward"] == "3" and rows["bob"]["Strategies moved forward"] == "1"
    for params, start in (({"period": "program"}, None), ({}, "2026-06-01")):
        report = api.client.get("/reports/v1/intensity", params={"today": END, **({"start": start} if start else {})},
                                headers=api.auth(coop.sue.token)).json()
        ours = _overview_csv(api, **params)
        by_label = {r["Facilitator"]: r for r in ours.values()}
        shown = {r["Facilitator"] for k, r in ours.items() if k != "TOTAL"}
        assert {f["facilitator"] for f in report["facilitators"]} == shown
        for f in report["facilitators"]:
            mine = by_label[f["facilitator"]]
            figures = (int(mine["Practices"]), int(mine["Visits"]), float(mine["Hours"]))
            assert figures == (f["practices"], f["visits"], f["hours"])


def test_every_number_links_to_the_rows_behind_it(api: Api, coop: Coop) -> None:
    assert sign_in(api, "sue").status_code == 303
    late = read_csv(api.client.get("/dashboard/visits.csv", params={**JUNE, "facilitator": "ann", "kind": "late"}).text)
    assert [(r["Date"], r["Days to reach the server"]) for r in late] == [("2026-06-20", "10")]
    incomplete = read_csv(api.client.get("/dashboard/visits.csv", params={**JUNE, "facilitator": "ann",
                                                                          "kind": "incomplete"}).text)
    assert [(r["Date"], r["Missing"]) for r in incomplete] == [("2026-06-20", "notes, strategy, next step")]
    overdue = read_csv(api.client.get("/dashboard/steps.csv",
                                      params={**JUNE, "facilitator": "ann", "kind": "overdue"}).text)
    assert sorted(r["Next step"] for r in overdue) == ["Pull the registry", "Repeat BP for high readings"]
    undetailed = read_csv(api.client.get("/dashboard/steps.csv", params={**JUNE, "kind": "undetailed"}).text)
    assert sorted(r["Next step"] for r in undetailed) == ["'+1 call the quitline", "Print posters"]
    moves = read_csv(api.client.get("/dashboard/moves.csv", params=JUNE).text)
    assert sorted((r["Strategy"], r["From"], r["To"]) for r in moves) == [("B1", "Selected", "In progress"),
                                                                          ("X1", "Not selected", "Selected")]
    stalled = read_csv(api.client.get("/dashboard/practices.csv", params={**JUNE, "kind": "stalled"}).text)
    assert [(r["Practice"], r["Days since last contact"]) for r in stalled] == [("Pine Health", "60")]
    page = api.client.get("/dashboard/", params=JUNE).text
    for href in ('/dashboard/visits?period=month&amp;end=2026-06-30&amp;facilitator=ann&amp;kind=late',
                 '/dashboard/steps?period=month&amp;end=2026-06-30&amp;facilitator=ann&amp;kind=overdue',
                 '/dashboard/practices?period=month&amp;end=2026-06-30&amp;facilitator=bob&amp;kind=stalled',
                 '/dashboard/moves?period=month&amp;end=2026-06-30&amp;facilitator=ann'):
        assert href in page


def test_every_page_offers_the_same_periods(api: Api, coop: Coop) -> None:
    """The list pages have their own choices (late, overdue...): the period picker stays month,
    quarter, program to date, and keeps the list's choice when the period changes."""
    assert sign_in(api, "sue").status_code == 303
    for path in ("/dashboard/", "/dashboard/visits", "/dashboard/steps", "/dashboard/practices", "/dashboard/moves",
                 "/dashboard/facilitators/ann", f"/dashboard/practices/{coop.p1.id}"):
        page = api.client.get(path, params={**JUNE, "kind": "late"})
        assert page.status_code == 200, path
        picker = re.search(r'<select id="period-kind" name="period">(.*?)</select>', page.text, re.S)
        assert picker is not None, path
        assert re.findall(r'<option value="(\w+)"', picker.group(1)) == ["month", "quarter", "program"], path
    visits = api.client.get("/dashboard/visits", params={**JUNE, "kind": "late"}).text
    assert '<input type="hidden" name="kind" value="late">' in visits


def test_exports_are_formula_safe(api: Api, coop: Coop) -> None:
    assert sign_in(api, "sue").status_code == 303
    practices = read_csv(api.client.get("/dashboard/practices.csv", params=JUNE).text)
    assert "'=HYPERLINK(\"http://evil.example\")" in [r["Practice"] for r in practices]
    r = api.client.get("/dashboard/export.xlsx", params=JUNE)
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="dashboard-month-2026-06-30.xlsx"'
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["Facilitators", "Practices", "Visits", "Next steps", "Open next steps",
                               "Strategies moved forward"]
    names = {c.value: c for c in book["Practices"]["A"][1:]}
    cell = names['=HYPERLINK("http://evil.example")']  # the text itself, as a text cell
    assert cell.data_type == "s"
    facilitators = {row[1].value: row for row in book["Facilitators"].iter_rows(min_row=2)}
    assert facilitators["ann"][3].value == 3 and facilitators["ann"][9].value == 3.0  # numbers stay numbers
    steps = [row[1].value for row in book["Next steps"].iter_rows(min_row=2)]
    assert "+1 call the quitline" in steps


def test_pages_render_for_a_practice_and_a_facilitator(api: Api, coop: Coop) -> None:
    assert sign_in(api, "sue").status_code == 303
    page = api.client.get(f"/dashboard/practices/{coop.p1.id}", params=JUNE)
    assert page.status_code == 200
    assert "Plan and dose" in page.text and "Checklist by domain" in page.text and "ABCS measures" in page.text
    assert ">2</a> visits, 2.5 hours" in page.text  # program to date at Oak: 60 + 90 minutes
    assert f'/dashboard/visits?period=program&amp;end=2026-06-30&amp;practice={coop.p1.id}' in page.text
    person = api.client.get("/dashboard/facilitators/ann", params=JUNE)
    assert person.status_code == 200 and "Late logs" in person.text and "<svg" in person.text
    assert 'role="img"' in person.text
    # Each of the facilitator's figures links to its rows, as on the overview.
    for kind in ("late", "incomplete"):
        assert f'/dashboard/visits?period=month&amp;end=2026-06-30&amp;facilitator=ann&amp;kind={kind}' in person.text
    assert '/dashboard/steps?period=month&amp;end=2026-06-30&amp;facilitator=ann&amp;kind=undetailed' in person.text


def test_the_facilitator_page_shows_a_supervisor_the_diary_entries_shared_with_them(api: Api, coop: Coop) -> None:
    shared = DiaryEntry(date(2026, 6, 3), "Front desk <b>now</b> books follow-ups\nsecond line", tags=["success"],
                        about_practice=coop.p1.id, strategies=["B1"], shared=True)
    withdrawn = DiaryEntry(date(2026, 6, 4), "WITHDRAWN words", shared=True)
    coop.ann.push([coop.ann.create(shared, "diary_entry"), coop.ann.create(withdrawn, "diary_entry")])
    with api.engine.connect() as conn:
        scope = conn.execute(select(t.rows.c.practice_id).where(t.rows.c.id == withdrawn.id)).scalar_one()
    coop.ann.push([coop.ann.mutation("diary_entry", withdrawn.id, scope, {"deleted": True})])
    assert sign_in(api, "sue").status_code == 303
    page = api.client.get("/dashboard/facilitators/ann", params=JUNE).text
    assert "Diary entries shared with you" in page and "Front desk &lt;b&gt;now&lt;/b&gt; books" in page
    assert "Oak Clinic" in page and "success" in page and "WITHDRAWN" not in page
    assert "has not shared any diary entries" in api.client.get("/dashboard/facilitators/bob", params=JUNE).text
    api.client.cookies.clear()
    api.admin(accounts.add_user, "root", role="admin", cooperative=None, password=PASSWORD)
    assert sign_in(api, "root").status_code == 303  # an admin of every cooperative reads no diary
    page = api.client.get("/dashboard/facilitators/ann", params=JUNE).text
    assert "Late logs" in page and "Diary entries" not in page and "Front desk" not in page


def test_a_bad_period_says_what_is_wrong_and_shows_the_default(api: Api, coop: Coop) -> None:
    assert sign_in(api, "sue").status_code == 303
    page = api.client.get("/dashboard/", params={"period": "decade", "end": "2026-13-01"})
    assert page.status_code == 200
    assert "There is no period called &#39;decade&#39;; showing this month." in page.text
    assert "&#39;2026-13-01&#39; is not a date like" in page.text

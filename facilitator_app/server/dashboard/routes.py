"""`/dashboard/`: sign-in, the program overview, drill-downs and exports, as server-rendered HTML.

Every page reads the viewer's session first (see sessions.py): no session sends the browser to
the sign-in page, a facilitator gets 403. Every page takes the same period parameters
(`period`, `end`) and, for an admin who sees several cooperatives, `coop`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Callable, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from ...core.vocab import Measure, StepStatus, StrategyStatus, VisitMode
from .. import accounts
from .. import tables as t
from ..accounts import User
from ..clock import today_utc
from ..db import read_tx, write_tx
from ..signin import SignInError, check_sign_in
from . import charts, exports, flags, queries, sessions
from .detail import practice_detail
from .period import KINDS, parse_period

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["seg"] = lambda value: quote(str(value), safe="")  # one path segment, "/" included
router = APIRouter(prefix="/dashboard", include_in_schema=False)

FACILITATORS_ONLY = ("The dashboard is for supervisors and program leads. Facilitators see their practices in the "
                     "Field Kit app.")
SORTS: dict[str, tuple[str, Callable[[queries.FacilitatorRow], Any]]] = {
    "name": ("Facilitator", lambda r: r.label.lower()),
    "practices": ("Practices", lambda r: r.practices),
    "visits": ("Visits", lambda r: r.visits),
    "plan": ("% of plan", lambda r: -1 if r.pct_of_plan is None else r.pct_of_plan),
    "hours": ("Hours", lambda r: r.hours),
    "stalled": ("No contact 45+ d", lambda r: r.stalled),
    "median": ("Log delay median (d)", lambda r: -1 if r.lag_median is None else r.lag_median),
    "p90": ("Log delay 90th pct (d)", lambda r: -1 if r.lag_p90 is None else r.lag_p90),
    "complete": ("Complete logs", lambda r: -1 if r.complete_pct is None else r.complete_pct),
    "detail": ("Steps with owner & due", lambda r: -1 if r.steps_detail_pct is None else r.steps_detail_pct),
    "open": ("Open steps", lambda r: r.open_steps),
    "overdue": ("Overdue steps", lambda r: r.overdue_steps),
    "moved": ("Strategies moved fwd", lambda r: r.moved_forward),
    "flags": ("Needs attention", lambda r: len(r.flags)),
}


class NeedSignIn(Exception):
    def __init__(self, next_url: str, message: str = ""):
        self.next_url, self.message = next_url, message


class Forbidden(Exception):
    pass


class NotFound(Exception):
    def __init__(self, message: str):
        self.message = message


# -- helpers ---------------------------------------------------------------------------------

def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


R = TypeVar("R", bound=Response)


def _security_headers(response: R) -> R:
    response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
                                                   "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


def _session(request: Request) -> sessions.Session:
    engine = request.app.state.engine
    with engine.connect() as conn:
        found, stale = sessions.find_session(conn, request.cookies.get(sessions.COOKIE))
    if found is None:
        had = sessions.COOKIE in request.cookies
        raise NeedSignIn(str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
                         sessions.ENDED if had else "")
    if found.user.role == "facilitator":
        raise Forbidden()
    if stale:
        with write_tx(engine) as conn:
            sessions.touch(conn, found.session_hash)
    return found


class View:
    """What every page shares: the viewer, the period, the cooperative and query strings."""

    def __init__(self, request: Request):
        self.request = request
        self.session = _session(request)
        self.user: User = self.session.user
        params = request.query_params
        self.today = today_utc()
        self.period, self.problems = parse_period(params.get("period"), params.get("end"), today=self.today)
        self.coops = self._cooperatives()
        self.coop_id = self._coop(params.get("coop"))

    def _cooperatives(self) -> list[tuple[int, str]]:
        with self.request.app.state.engine.connect() as conn:
            q = select(t.cooperatives.c.id, t.cooperatives.c.name).order_by(t.cooperatives.c.name)
            if not (self.user.role == "admin" and self.user.cooperative_id is None):
                q = q.where(t.cooperatives.c.id == self.user.cooperative_id)
            return [(int(i), n) for i, n in conn.execute(q)]

    def _coop(self, raw: str | None) -> int | None:
        if len(self.coops) <= 1 or not raw:
            return None
        try:
            wanted = int(raw)
        except ValueError:
            wanted = -1
        if wanted not in {i for i, _ in self.coops}:
            self.problems.append("There is no such cooperative; showing all of them.")
            return None
        return wanted

    @property
    def scope_label(self) -> str:
        if self.coop_id is not None:
            return dict(self.coops)[self.coop_id]
        if len(self.coops) == 1:
            return self.coops[0][1]
        return "All cooperatives"

    def base_query(self) -> dict[str, str]:
        q = self.period.query()
        if self.coop_id is not None:
            q["coop"] = str(self.coop_id)
        return q

    def url(self, path: str, **extra: Any) -> str:
        q = {**self.base_query(), **{k: str(v) for k, v in extra.items() if v not in (None, "")}}
        return f"/dashboard/{path}?{urlencode(q)}"

    def ctx(self, conn: Any) -> queries.Ctx:
        return queries.make_ctx(conn, self.user, self.period, cooperative_id=self.coop_id)

    def render(self, template: str, **context: Any) -> HTMLResponse:
        response = templates.TemplateResponse(self.request, template, {
            "view": self, "user": self.user, "csrf": self.session.csrf_token, "period": self.period,
            "period_kinds": KINDS, "problems": self.problems, "StepStatus": StepStatus,
            "StrategyStatus": StrategyStatus, "VisitMode": VisitMode, "fmt": fmt, **context})
        return _security_headers(response)


def fmt(value: Any, kind: str = "") -> str:
    """Numbers as the tables show them: whole numbers plain, days and hours to one decimal,
    percentages whole; a missing value as an en dash."""
    if value is None:
        return "–"
    if kind == "pct":
        return f"{value:.0f}%"
    if kind in ("days", "hours", "x1"):
        return f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _download(body: str | bytes, filename: str, media_type: str) -> Response:
    response = Response(body, media_type=media_type,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return _security_headers(response)


def _stamp(view: View) -> str:
    return f"{view.period.kind}-{view.period.end.isoformat()}"


# -- sign-in ---------------------------------------------------------------------------------

def _login_page(request: Request, *, message: str = "", error: str = "", username: str = "", next_url: str = "",
                status: int = 200) -> HTMLResponse:
    import secrets

    token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(request, "login.html", {
        "csrf": token, "message": message, "error": error, "username": username, "next": next_url}, status_code=status)
    sessions.set_cookie(response, request, sessions.LOGIN_COOKIE, token, max_age=3600)
    return _security_headers(response)


def _safe_next(value: str | None) -> str:
    """Only a path of this dashboard: never another site (an open redirect)."""
    if value and value.startswith("/dashboard/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/dashboard/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "", ended: str = "") -> HTMLResponse:
    return _login_page(request, next_url=_safe_next(next) if next else "", message=sessions.ENDED if ended else "")


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    next_url = _safe_next(str(form.get("next", "")) or None)
    if not sessions.csrf_ok(request.cookies.get(sessions.LOGIN_COOKIE), str(form.get("csrf_token", ""))):
        return _login_page(request, error="This sign-in form had expired or did not come from this page. "
                           "Type your password again.", username=username, next_url=next_url, status=403)
    if not username or not password:
        return _login_page(request, error="Type your user name and your password.", username=username,
                           next_url=next_url, status=422)
    engine, settings = request.app.state.engine, request.app.state.settings
    try:
        user = check_sign_in(engine, settings, username=username, password=password, address=_address(request))
    except SignInError as exc:
        return _login_page(request, error=exc.message, username=username, next_url=next_url, status=exc.status)
    if user.role == "facilitator":
        return _forbidden(request)
    with write_tx(engine) as conn:
        value, _csrf = sessions.new_session(conn, user, address=_address(request))
        accounts.audit(conn, user.name, "login", address=_address(request), via="dashboard")
    response = RedirectResponse(next_url, status_code=303)
    sessions.set_cookie(response, request, sessions.COOKIE, value, max_age=sessions.SESSION_HOURS * 3600)
    sessions.clear_cookie(response, request, sessions.LOGIN_COOKIE)
    return _security_headers(response)


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await request.form()
    engine = request.app.state.engine
    with engine.connect() as conn:
        found, _ = sessions.find_session(conn, request.cookies.get(sessions.COOKIE))
    if found is not None:
        if not sessions.csrf_ok(found.csrf_token, str(form.get("csrf_token", ""))):
            return _security_headers(HTMLResponse(templates.get_template("message.html").render(
                title="Not signed out", heading="Not signed out",
                text="This sign-out button did not come from your dashboard page. Go back and press Sign out again."),
                status_code=403))
        with write_tx(engine) as conn:
            sessions.end_session(conn, found.session_hash)
    response = _login_page(request, message="You are signed out.")
    sessions.clear_cookie(response, request, sessions.COOKIE)
    return response


def _forbidden(request: Request) -> HTMLResponse:
    response = HTMLResponse(templates.get_template("message.html").render(
        title="Not available", heading="The dashboard is not available to your account", text=FACILITATORS_ONLY),
        status_code=403)
    sessions.clear_cookie(response, request, sessions.COOKIE)
    return _security_headers(response)


# -- pages -----------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def overview(request: Request, sort: str = "flags", dir: str = "") -> Response:
    view = View(request)
    with read_tx(request.app.state.engine) as conn:
        data = queries.overview(view.ctx(conn))
    key = sort if sort in SORTS else "flags"
    descending = dir != "asc" if dir in ("asc", "desc") else key != "name"
    rows = sorted(data.rows, key=lambda r: r.label.lower())
    rows.sort(key=SORTS[key][1], reverse=descending)
    return view.render("overview.html", data=data, rows=rows, sort=key, descending=descending, sorts=SORTS,
                       rules=flags.RULES, attention=[r for r in data.rows if r.flags])


@router.get("/facilitators/{name:path}", response_class=HTMLResponse)
def facilitator(request: Request, name: str) -> Response:
    view = View(request)
    with read_tx(request.app.state.engine) as conn:
        ctx = view.ctx(conn)
        names = queries.facilitator_names(ctx)
        if name not in names:
            raise NotFound("There is no facilitator with this name in your cooperative.")
        data = queries.overview(ctx)
        row = next((r for r in data.rows if r.name == name), None) or queries.FacilitatorRow(name, names[name])
        mine = sorted((p for p in data.practices.values() if name in p.facilitators), key=lambda p: p.name.lower())
        months = queries.monthly_visits(ctx, author=name)
        late = queries.visit_list(ctx, author=name, kind="late")
        incomplete = queries.visit_list(ctx, author=name, kind="incomplete")
        undetailed = queries.step_list(ctx, author=name, state="undetailed")
        diary = queries.shared_diary(ctx, view.user, name)
    chart = charts.visits_bar_chart(months, title=f"Visits logged by {names[name]} per month")
    return view.render("facilitator.html", row=row, label=names[name], name=name, names=names, practices=mine,
                       months=months,
                       chart=chart, late=late, incomplete=incomplete, undetailed=undetailed,
                       late_days=queries.LATE_DAYS, diary=diary)


@router.get("/practices/{practice_id:path}", response_class=HTMLResponse)
def practice(request: Request, practice_id: str) -> Response:
    view = View(request)
    with read_tx(request.app.state.engine) as conn:
        ctx = view.ctx(conn)
        detail = practice_detail(ctx, practice_id)
        if detail is None:
            raise NotFound("There is no such practice in your cooperative.")
        row = queries.practices(ctx, ids=[practice_id]).get(practice_id)
        steps = queries.step_list(ctx, practice_id=practice_id, state="all")
        months = queries.monthly_visits(ctx, practice_id=practice_id)
        names = queries.facilitator_names(ctx)
    runs = [(Measure(code), charts.run_chart(points, title=f"{Measure(code).label} ({Measure(code).cms_id}): share of "
                                                               "patients meeting the measure, by quarter"), points)
            for code, points in sorted(detail.measures.items()) if code in Measure.choices()]
    chart = charts.visits_bar_chart(months, title=f"Visits to {detail.practice.name} per month")
    return view.render("practice.html", d=detail, row=row, steps=steps, runs=runs, chart=chart, months=months,
                       names=names)


LISTS = {
    "visits": ("Visits", {"all": "All visits", "late": "Logged late", "incomplete": "Incomplete logs"}),
    "steps": ("Next steps", {"open": "Open at the end of the period", "overdue": "Overdue",
                             "undetailed": "Made in the period without an owner or a due date",
                             "made": "Made in the period", "all": "All"}),
    "practices": ("Practices", {"all": "All practices", "stalled": "Without contact for 45+ days"}),
    "moves": ("Strategies moved forward", {"all": "All"}),
}


def _list_rows(view: View, conn: Any, table: str, *, facilitator: str | None, practice_id: str | None,
               kind: str) -> list[Any]:
    ctx = view.ctx(conn)
    if table == "visits":
        return queries.visit_list(ctx, author=facilitator, practice_id=practice_id, kind=kind)
    if table == "steps":
        return queries.step_list(ctx, author=facilitator, practice_id=practice_id, state=kind)
    if table == "moves":
        return queries.move_list(ctx, author=facilitator, practice_id=practice_id)
    prs = queries.practices(ctx)
    rows = [p for p in prs.values() if (facilitator is None or facilitator in p.facilitators)
            and (kind != "stalled" or p.stalled)]
    return sorted(rows, key=lambda p: p.name.lower())


def _list_args(request: Request, table: str) -> tuple[str | None, str | None, str]:
    params = request.query_params
    kinds = LISTS[table][1]
    kind = params.get("kind") or next(iter(kinds))
    if kind not in kinds:
        kind = next(iter(kinds))
    return params.get("facilitator") or None, params.get("practice") or None, kind


@router.get("/{table}.csv")
def table_csv(request: Request, table: str) -> Response:
    if table not in LISTS and table != "facilitators":
        raise NotFound("There is no such table to download.")
    view = View(request)
    with read_tx(request.app.state.engine) as conn:
        if table == "facilitators":
            data = queries.overview(view.ctx(conn))
            rows = [*sorted(data.rows, key=lambda r: r.label.lower()), data.totals]
        else:
            facilitator_name, practice_id, kind = _list_args(request, table)
            rows = _list_rows(view, conn, table, facilitator=facilitator_name, practice_id=practice_id, kind=kind)
    cols = exports.TABLES[table][1]
    return _download(exports.to_csv(cols, rows), f"{table}-{_stamp(view)}.csv", "text/csv; charset=utf-8")


@router.get("/export.xlsx")
def workbook(request: Request) -> Response:
    view = View(request)
    with read_tx(request.app.state.engine) as conn:
        ctx = view.ctx(conn)
        data = queries.overview(ctx)
        sheets: list[tuple[str, list[exports.Col], list[Any]]] = [
            ("Facilitators", exports.FACILITATORS, [*sorted(data.rows, key=lambda r: r.label.lower()), data.totals]),
            ("Practices", exports.PRACTICES, sorted(data.practices.values(), key=lambda p: p.name.lower())),
            ("Visits", exports.VISITS, queries.visit_list(ctx)),
            ("Next steps", exports.STEPS, queries.step_list(ctx, state="made")),
            ("Open next steps", exports.STEPS, queries.step_list(ctx, state="open")),
            ("Strategies moved forward", exports.MOVES, queries.move_list(ctx)),
        ]
    body = exports.to_xlsx(sheets, title=f"{view.scope_label}: {view.period.label}")
    return _download(body, f"dashboard-{_stamp(view)}.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@router.get("/{table}", response_class=HTMLResponse)
def rows_behind(request: Request, table: str) -> Response:
    if table not in LISTS:
        raise NotFound("There is nothing at this address.")
    view = View(request)
    facilitator_name, practice_id, kind = _list_args(request, table)
    with read_tx(request.app.state.engine) as conn:
        rows = _list_rows(view, conn, table, facilitator=facilitator_name, practice_id=practice_id, kind=kind)
        names = queries.facilitator_names(view.ctx(conn))
        practice_name = None
        if practice_id:
            found = queries.practices(view.ctx(conn), ids=[practice_id]).get(practice_id)
            practice_name = found.name if found else None
    title, kinds = LISTS[table]
    filters = {"facilitator": facilitator_name, "practice": practice_id, "kind": kind}
    return view.render("list.html", table=table, title=title, kinds=kinds, kind=kind, rows=rows, names=names,
                       facilitator=facilitator_name, practice_id=practice_id, practice_name=practice_name,
                       filters=filters, csv_url=view.url(f"{table}.csv", **filters), late_days=queries.LATE_DAYS)


__all__ = ["router", "NeedSignIn", "Forbidden", "NotFound", "date"]

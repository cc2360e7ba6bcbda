"""The dashboard's numbers, computed by the database (SQLAlchemy Core on SQLite and PostgreSQL).

Everything that grows with the visit log (visit counts, hours, log delays and their
percentiles, completeness, next steps, strategy moves) is aggregated in SQL, grouped by the
account that logged the visit; Python only walks the practices of the scope (a few hundred)
to pro-rate each practice's plan over the period and find the practices without contact.

Definitions (also shown on the page, see templates/overview.html):
- a visit is credited to the account that logged it on the server (the row's author), never
  to the free-text facilitator name, as in the API's intensity report;
- "log delay" is the number of days from the visit date to the day (UTC) the server first
  received the visit; median and 90th percentile are interpolated like PostgreSQL's
  percentile_cont;
- a visit's log is complete when it has notes (the written minutes: notes for the practice or
  private notes), at least one strategy worked on and at least one next step;
- a next step is open at the end of the period if it is still open, or was closed after that
  day; overdue if it is open and its due date is before that day;
- a strategy moved forward when a visit in the period took it to a later stage
  (not selected < selected < in progress < implemented < sustained); each practice's strategy
  counts once per facilitator;
- a practice has had no contact for 45+ days when it is active and its last visit (by anyone),
  or its enrolment if it never had one, is 45 or more days before the period's end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Iterable, TypeAlias, Unpack

from sqlalchemy import (
    Connection,
    Float,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    union_all,
)

from ...core.model import scope_key
from ...core.vocab import StrategyStatus
from .. import tables as t
from ..accounts import User
from ..reports import display_names
from ..scope import readable_practice_ids
from .period import Period
from .sqlx import Sql, entity_is

AnySelect: TypeAlias = "Select[Unpack[tuple[Any, ...]]]"  # a SELECT of any columns

STALLED_DAYS = 45
LATE_DAYS = 7  # a visit logged more than a week after it happened is listed as late
DEFAULT_PLAN_DAYS = 365  # a plan without an end date covers 12 months from enrolment
DAY_MS = 86_400_000
_RANK = {StrategyStatus.NOT_SELECTED.value: 0, StrategyStatus.SELECTED.value: 1, StrategyStatus.IN_PROGRESS.value: 2,
         StrategyStatus.IMPLEMENTED.value: 3, StrategyStatus.SUSTAINED.value: 4}


@dataclass(frozen=True)
class Ctx:
    """What every query needs: the connection, the dialect's spelling, the practices in scope
    and the period."""

    conn: Connection
    sql: Sql
    scope: AnySelect  # practice ids the viewer may read (narrowed to one cooperative for an admin)
    period: Period

    @property
    def end_iso(self) -> str:
        return self.period.end.isoformat()

    @property
    def start_iso(self) -> str | None:
        return self.period.start.isoformat() if self.period.start else None


def make_ctx(conn: Connection, user: User, period: Period, *, cooperative_id: int | None = None) -> Ctx:
    """Call inside a transaction (read_tx). On PostgreSQL, JIT compilation is switched off for it:
    the roll-up's estimated cost passes jit_above_cost, and compiling its expressions took longer
    (300+ ms) than running the whole statement without it."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL jit = off")
    scope = readable_practice_ids(user)
    if cooperative_id is not None:
        scope = select(t.practices.c.id).where(and_(t.practices.c.cooperative_id == cooperative_id,
                                                    t.practices.c.id.in_(scope)))
    return Ctx(conn, Sql(conn.dialect.name), scope, period)


# -- the building blocks ---------------------------------------------------------------------

def _visit_dates(ctx: Ctx, *, author: str | None = None, practice_id: str | None = None) -> Any:
    """Live visits in scope dated up to the period's end: id, practice, author and date, read
    once (materialized) so the rest of a visit's record is decoded only for the visits that need
    it. On PostgreSQL the record is parsed once here (column `j`) and every field is read from that."""
    r, sq = t.rows.alias("vd"), ctx.sql
    cols = [r.c.id, r.c.practice_id, r.c.author]
    q = select(*cols, (sq.doc(r.c.data) if sq.is_pg else sq.text(r.c.data, "date")).label("j" if sq.is_pg else "vdate"))
    q = q.where(and_(entity_is(r.c.entity, "visit"), r.c.deleted.is_(False), r.c.practice_id.in_(ctx.scope)))
    if author is not None:
        q = q.where(r.c.author == author)
    if practice_id is not None:
        q = q.where(r.c.practice_id == practice_id)
    if sq.is_pg:
        vj = q.cte("vj").prefix_with("MATERIALIZED")
        vdate = sq.get(vj.c.j, "date")
        return (select(vj.c.id, vj.c.practice_id, vj.c.author, vj.c.j, vdate.label("vdate"))
                .where(vdate <= ctx.end_iso)).cte("vr").prefix_with("MATERIALIZED")
    inner = q.subquery("vd0")
    return (select(inner).where(inner.c.vdate <= ctx.end_iso)).cte("vr").prefix_with("MATERIALIZED")


def _visit_doc(ctx: Ctx, vr: Any, alias: str, *, in_period: bool) -> tuple[Any, Any]:
    """(FROM clause, record) for reading a visit's fields: the parsed `j` of `vr` on PostgreSQL;
    on SQLite the row itself, joined by primary key, only for the visits of the period."""
    if ctx.sql.is_pg:
        return vr, vr.c.j
    r = t.rows.alias(alias)
    period = vr.c.vdate >= ctx.start_iso if ctx.start_iso else true()
    joined = and_(r.c.entity == "visit", r.c.id == vr.c.id, period)
    return (vr.join(r, joined) if in_period else vr.outerjoin(r, joined)), r.c.data


def _visits(ctx: Ctx, *, in_period: bool = True, author: str | None = None,
            practice_id: str | None = None, dates: Any = None) -> AnySelect:
    """Visits dated up to the period's end (only those from its start when `in_period`): for
    each, whether it falls in the period and, for those that do, its minutes, mode, notes,
    strategies, next-step count and log delay in days (days from the visit to the server)."""
    vr = dates if dates is not None else _visit_dates(ctx, author=author, practice_id=practice_id)
    s, m, sq = t.rows.alias("s"), t.mutation_log, ctx.sql
    period = vr.c.vdate >= ctx.start_iso if ctx.start_iso else true()
    source, doc = _visit_doc(ctx, vr, "v", in_period=in_period)
    has_notes = or_(func.length(func.trim(func.coalesce(sq.get(doc, "practice_notes"), ""))) > 0,
                    func.length(func.trim(func.coalesce(sq.get(doc, "private_notes"), ""))) > 0)
    if sq.is_pg:
        nsteps = (select(func.count()).select_from(s)
                  .where(and_(entity_is(s.c.entity, "next_step"), sq.text(s.c.data, "visit_id") == vr.c.id,
                              s.c.deleted.is_(False))).scalar_subquery())
    else:
        # SQLite without ANALYZE statistics takes the (entity, practice_id) index here and reads
        # every step of the scope for each visit; INDEXED BY names the expression index made
        # for this (migration 0004), which SQLAlchemy cannot spell for SQLite. `+vr.id` has no
        # type affinity, like json_extract's result: with TEXT affinity the index cannot be searched.
        nsteps = (select(func.count()).select_from(text("rows AS s INDEXED BY ix_rows_step_visit"))
                  .where(text("s.entity = 'next_step' AND json_extract(s.data, '$.visit_id') = +vr.id "
                              "AND s.deleted = 0")).scalar_subquery())
    first_ms = (select(func.min(m.c.received_ms))
                .where(and_(m.c.entity == "visit", m.c.row_id == vr.c.id, m.c.outcome != "rejected"))
                .scalar_subquery())
    def only(x: Any) -> Any:
        return case((period, x), else_=None)

    q = (select(vr.c.id, vr.c.practice_id, vr.c.author, vr.c.vdate, only(sq.get_int(doc, "minutes")).label("minutes"),
                only(sq.get(doc, "mode")).label("mode"), only(case((has_notes, 1), else_=0)).label("has_notes"),
                only(sq.get_len(doc, "strategies")).label("nstrat"), only(nsteps).label("nsteps"),
                case((period, 1), else_=0).label("in_period"),
                only((first_ms // DAY_MS) - sq.day(vr.c.vdate)).label("lag"))
         .select_from(source))
    if in_period and ctx.start_iso:
        q = q.where(period)
    return q


def _facts(ctx: Ctx, *, author: str | None = None, practice_id: str | None = None) -> Any:
    """One row per visit in the period (see _visits)."""
    return _visits(ctx, author=author, practice_id=practice_id).subquery("f")


def _complete(f: Any) -> Any:
    return and_(f.c.has_notes == 1, f.c.nstrat > 0, f.c.nsteps > 0)


def _percentile(w: Any, a: int, b: int) -> Any:
    """The a/b-th percentile, interpolated between neighbours (PostgreSQL's percentile_cont), of
    `w.c.lag` ranked by `w.c.rn` among `w.c.n` values: the value at 0-based position h=(n-1)a/b is
    x[lo] + (x[lo+1]-x[lo]) * frac, with lo and frac from whole-number arithmetic."""
    h = (w.c.n - 1) * a
    lo = h // b + 1
    frac = h % b
    return cast(func.sum(case((w.c.rn == lo, w.c.lag * (b - frac)), (w.c.rn == lo + 1, w.c.lag * frac), else_=0)),
                Float) / b


def _step_docs(ctx: Ctx) -> Any:
    """Live next steps in scope: id, practice and the record (parsed once, see Sql.doc)."""
    s = t.rows.alias("s")
    q = (select(s.c.id, s.c.practice_id, ctx.sql.doc(s.c.data).label("j"))
         .where(and_(entity_is(s.c.entity, "next_step"), s.c.deleted.is_(False), s.c.practice_id.in_(ctx.scope))))
    return q.cte("sd").prefix_with("MATERIALIZED") if ctx.sql.is_pg else q.subquery("sd")


def _step_columns(ctx: Ctx) -> tuple[Any, Any, dict[str, Any]]:
    """(steps in scope joined to the visit that made them, the steps, named expressions); each
    record is parsed once (see Sql.doc).

    On PostgreSQL the steps join the materialized visit dates by hash. On SQLite each step's
    visit is looked up by the rows' primary key: joined to the visit-dates CTE instead, SQLite
    (without ANALYZE statistics) scanned the CTE and read every step of the scope for each visit,
    which took a minute for a cooperative of 250 practices."""
    sq = ctx.sql
    sd = _step_docs(ctx)
    visit_id = sq.get(sd.c.j, "visit_id")
    if sq.is_pg:
        v = _visit_dates(ctx)
        source, author, vdate = sd.join(v, v.c.id == visit_id), v.c.author, v.c.vdate
    else:
        r = t.rows.alias("sv")
        vdate = sq.text(r.c.data, "date")
        source = sd.join(r, and_(entity_is(r.c.entity, "visit"), r.c.id == visit_id, r.c.deleted.is_(False),
                                 r.c.practice_id.in_(ctx.scope), vdate <= ctx.end_iso))
        author = r.c.author
    status, closed_on, due = sq.get(sd.c.j, "status"), sq.get(sd.c.j, "closed_on"), sq.get(sd.c.j, "due")
    owner = func.trim(func.coalesce(sq.get(sd.c.j, "owner"), ""))
    is_open = or_(status == "open", and_(status != "open", closed_on.is_not(None), closed_on > ctx.end_iso))
    in_period = vdate >= ctx.start_iso if ctx.start_iso else true()
    return source, sd, {
        "status": status, "closed_on": closed_on, "due": due, "owner": owner, "vdate": vdate, "author": author,
        "action": sq.get(sd.c.j, "action"), "is_open": is_open,
        "is_overdue": and_(is_open, due.is_not(None), due < ctx.end_iso),
        "in_period": in_period, "has_detail": and_(func.length(owner) > 0, due.is_not(None)),
    }


def _strategy_elements(ctx: Ctx, doc: Any) -> tuple[Any, Any, Any, Any]:
    """A lateral table of a visit's strategies: (table, strategy_id, status_before, status_after)."""
    if ctx.sql.is_pg:
        j: Any = func.jsonb_array_elements(doc.op("->")(literal_column("'strategies'"))).table_valued("value")
        j = j.lateral("j")

        def get(k: str) -> Any:
            return j.c.value.op("->>")(literal_column(f"'{k}'"))
    else:
        j = func.json_each(doc, literal_column("'$.strategies'")).table_valued("value").alias("j")

        def get(k: str) -> Any:
            return func.json_extract(j.c.value, literal_column(f"'$.{k}'"))
    return j, get("strategy_id"), get("status_before"), get("status_after")


def _moves(ctx: Ctx, *, author: str | None = None, practice_id: str | None = None,
           dates: Any = None) -> tuple[AnySelect, Any]:
    """Visits in the period with each strategy they moved forward (select, and the date CTE)."""
    vr = dates if dates is not None else _visit_dates(ctx, author=author, practice_id=practice_id)
    source, doc = _visit_doc(ctx, vr, "mv", in_period=True)
    j, sid, before, after = _strategy_elements(ctx, doc)
    def rank(x: Any) -> Any:
        return case(*((x == k, n) for k, n in _RANK.items()), else_=-1)

    q = (select(vr.c.author, vr.c.practice_id, vr.c.id.label("visit_id"), vr.c.vdate, sid.label("strategy_id"),
                before.label("before"), after.label("after"))
         .select_from(source.join(j, true()))
         .where(rank(after) > rank(before)))
    if ctx.start_iso:
        q = q.where(vr.c.vdate >= ctx.start_iso)
    return q, vr


# -- practices -------------------------------------------------------------------------------

@dataclass
class PracticeRow:
    id: str
    name: str
    status: str
    enrolled_on: date | None
    end_on: date | None
    planned_visits: int | None
    planned_hours: float | None
    facilitators: list[str] = field(default_factory=list)  # assigned user names
    visits: int = 0  # in the period, by anyone
    minutes: int = 0
    last_contact: date | None = None  # up to the period's end, any period
    open_steps: int = 0
    overdue_steps: int = 0
    expected_visits: float | None = None
    expected_hours: float | None = None
    stalled: bool = False
    days_since_contact: int | None = None

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)

    @property
    def pct_of_plan(self) -> float | None:
        return _pct(self.visits, self.expected_visits)


def _pct(actual: float, expected: float | None) -> float | None:
    return round(100 * actual / expected, 0) if expected else None


def _day(text: Any) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) and text else None
    except ValueError:
        return None


def plan_window(row: PracticeRow) -> tuple[date, date] | None:
    """The days a practice's plan covers: enrolment to end date (12 months when no end is set)."""
    if row.enrolled_on is None:
        return None
    end = row.end_on or row.enrolled_on + timedelta(days=DEFAULT_PLAN_DAYS - 1)
    return (row.enrolled_on, end) if end >= row.enrolled_on else None


def expected_share(row: PracticeRow, period: Period) -> float | None:
    """The share of the practice's plan that falls in the period (0..1), or None without dates.
    Only active practices are expected to be visited."""
    window = plan_window(row)
    if window is None or row.status != "active":
        return None
    first, last = window
    lo, hi = max(first, period.start or first), min(last, period.end)
    days = (hi - lo).days + 1
    return max(0, days) / ((last - first).days + 1)


def practices(ctx: Ctx, *, ids: Iterable[str] | None = None) -> dict[str, PracticeRow]:
    """Every live practice in scope with its plan, assigned facilitators and period figures."""
    out = _practice_base(ctx, ids=ids)
    if out:
        _apply_practice_figures(ctx, out, _rollup(ctx))
    return out


def _practice_base(ctx: Ctx, *, ids: Iterable[str] | None = None) -> dict[str, PracticeRow]:
    """Practices in scope with their plan and assigned facilitators (a few hundred rows)."""
    r, sq = t.rows.alias("pr"), ctx.sql
    docs = (select(r.c.entity, r.c.id, sq.doc(r.c.data).label("j"))
            .where(and_(r.c.entity.in_(["practice", "plan"]), r.c.deleted.is_(False), r.c.practice_id.in_(ctx.scope))))
    if ids is not None:
        docs = docs.where(r.c.practice_id.in_(list(ids)))
    pd = docs.cte("pd").prefix_with("MATERIALIZED")
    p, pl = pd.alias("p"), pd.alias("pl")
    q = (select(p.c.id, sq.get(p.c.j, "name").label("name"), sq.get(p.c.j, "status").label("status"),
                sq.get(p.c.j, "enrolled_on").label("enrolled_on"), sq.get(p.c.j, "end_on").label("end_on"),
                sq.get_int(pl.c.j, "planned_visits").label("planned_visits"),
                sq.get_real(pl.c.j, "planned_hours").label("planned_hours"))
         .select_from(p.outerjoin(pl, and_(pl.c.entity == "plan", pl.c.id == p.c.id)))
         .where(p.c.entity == "practice"))
    out = {r.id: PracticeRow(r.id, r.name or r.id, r.status or "active", _day(r.enrolled_on), _day(r.end_on),
                             r.planned_visits, r.planned_hours) for r in ctx.conn.execute(q)}
    if out:
        for name, pid in ctx.conn.execute(
                select(t.users.c.name, t.assignments.c.practice_id)
                .join(t.assignments, t.assignments.c.user_id == t.users.c.id)
                .where(t.assignments.c.practice_id.in_(ctx.scope)).order_by(t.users.c.name)):
            if pid in out:
                out[pid].facilitators.append(name)
    return out


def _apply_practice_figures(ctx: Ctx, out: dict[str, PracticeRow], roll: "Rollup") -> None:
    for pid, (last, visits, minutes) in roll.practice_visits.items():
        if pid in out:
            out[pid].last_contact, out[pid].visits, out[pid].minutes = _day(last), visits, minutes
    for pid, counts in roll.practice_steps.items():
        if pid in out:
            out[pid].open_steps, out[pid].overdue_steps = counts["open"], counts["overdue"]
    end = ctx.period.end
    for row in out.values():
        share = expected_share(row, ctx.period)
        if share is not None and row.planned_visits is not None:
            row.expected_visits = round(row.planned_visits * share, 1)
            row.expected_hours = round((row.planned_hours or 0.0) * share, 1)
        since = row.last_contact or row.enrolled_on
        row.days_since_contact = (end - row.last_contact).days if row.last_contact else None
        row.stalled = row.status == "active" and (since is None or (end - since).days >= STALLED_DAYS)


# -- one statement for every figure that grows with the visit log ----------------------------

_INTS = 8
_VISIT_AGG = ("visits", "minutes", "with_notes", "with_strategy", "with_step", "complete", "visited")
_STEP_AGG = ("open", "overdue", "made", "detailed")


@dataclass
class Rollup:
    practice_visits: dict[str, tuple[str | None, int, int]] = field(default_factory=dict)  # last, visits, minutes
    authors: dict[str, list[int]] = field(default_factory=dict)  # _VISIT_AGG in order
    total: list[int] = field(default_factory=lambda: [0] * _INTS)
    lags: dict[str, tuple[float, float, int]] = field(default_factory=dict)  # median, p90, visits counted
    total_lags: tuple[float, float, int] | None = None
    author_steps: dict[str, dict[str, int]] = field(default_factory=dict)  # _STEP_AGG
    practice_steps: dict[str, dict[str, int]] = field(default_factory=dict)
    moved: dict[str, int] = field(default_factory=dict)
    total_moved: int = 0


def _part(kind: str, key: Any, *, last: Any = None, ints: list[Any] | None = None,
          reals: list[Any] | None = None, key2: Any = None) -> list[Any]:
    """One branch of the UNION: kind, two keys, a date, _INTS whole numbers and two reals (typed
    NULLs pad the rest, which PostgreSQL needs to unite the branches)."""
    null = cast(None, String)
    cols = [literal(kind, String).label("kind"), (key if key is not None else null).label("k"),
            (key2 if key2 is not None else null).label("k2"), (last if last is not None else null).label("last")]
    ints = list(ints or []) + [None] * (_INTS - len(ints or []))
    reals = list(reals or []) + [None] * (2 - len(reals or []))
    cols += [cast(x, Integer).label(f"c{i}") for i, x in enumerate(ints)]
    cols += [cast(x, Float).label(f"x{i}") for i, x in enumerate(reals)]
    return cols


def _rollup(ctx: Ctx) -> Rollup:
    """Visits, log delays, completeness, next steps and strategy moves, per facilitator, per
    practice and in total, in one statement: the visits are read once into a materialized CTE
    that every branch of a UNION ALL aggregates."""
    dates = _visit_dates(ctx)
    va = _visits(ctx, in_period=False, dates=dates).cte("va").prefix_with("MATERIALIZED")
    def one(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    per = va.c.in_period == 1
    # Per (facilitator, practice) pair: a few hundred rows that Python adds up per facilitator,
    # per practice and in total (one pass over the visits instead of three).
    visit_aggs = [one(per), func.sum(case((per, va.c.minutes), else_=0)), one(and_(per, va.c.has_notes == 1)),
                  one(and_(per, va.c.nstrat > 0)), one(and_(per, va.c.nsteps > 0)), one(and_(per, _complete(va)))]
    parts = [select(*_part("v", va.c.author, last=func.max(va.c.vdate), ints=[*visit_aggs, literal(0)],
                           key2=va.c.practice_id)).group_by(va.c.author, va.c.practice_id)]
    for by_author in (True, False):
        part_by = [va.c.author] if by_author else []
        w = (select(va.c.author, va.c.lag, func.row_number().over(partition_by=part_by, order_by=va.c.lag).label("rn"),
                    func.count().over(partition_by=part_by).label("n"))
             .where(and_(per, va.c.lag.is_not(None)))).cte("wa" if by_author else "wt")
        q = select(*_part("la" if by_author else "lt", w.c.author if by_author else None, ints=[func.max(w.c.n)],
                          reals=[_percentile(w, 1, 2), _percentile(w, 9, 10)]))
        parts.append(q.group_by(w.c.author) if by_author else q)
    sq = ctx.sql
    sd = _step_docs(ctx)
    status, closed_on, due = sq.get(sd.c.j, "status"), sq.get(sd.c.j, "closed_on"), sq.get(sd.c.j, "due")
    owner = func.trim(func.coalesce(sq.get(sd.c.j, "owner"), ""))
    st = (select(sd.c.practice_id, va.c.author, va.c.in_period,
                 case((or_(status == "open", and_(closed_on.is_not(None), closed_on > ctx.end_iso)), 1), else_=0)
                 .label("is_open"), due.label("due"),
                 case((and_(func.length(owner) > 0, due.is_not(None)), 1), else_=0).label("has_detail"))
          .select_from(sd.join(va, va.c.id == sq.get(sd.c.j, "visit_id")))
          ).cte("st").prefix_with("MATERIALIZED")
    step_aggs = [one(st.c.is_open == 1), one(and_(st.c.is_open == 1, st.c.due.is_not(None), st.c.due < ctx.end_iso)),
                 one(st.c.in_period == 1), one(and_(st.c.in_period == 1, st.c.has_detail == 1))]
    parts.append(select(*_part("s", st.c.author, ints=step_aggs, key2=st.c.practice_id))
                 .group_by(st.c.author, st.c.practice_id))
    moves, _ = _moves(ctx, dates=dates)
    mq = moves.cte("mq")
    pair = mq.c.practice_id + ":" + mq.c.strategy_id
    parts += [select(*_part("m", mq.c.author, ints=[func.count(func.distinct(pair))])).group_by(mq.c.author),
              select(*_part("mt", None, ints=[func.count(func.distinct(pair))]))]
    out = Rollup()
    for r in ctx.conn.execute(union_all(*parts)):
        c = [int(x) if x is not None else 0 for x in (r.c0, r.c1, r.c2, r.c3, r.c4, r.c5, r.c6, r.c7)]
        if r.kind == "v":
            last, visits, minutes = out.practice_visits.get(r.k2, (None, 0, 0))
            out.practice_visits[r.k2] = (max(filter(None, (last, r.last)), default=None), visits + c[0], minutes + c[1])
            if c[0]:
                mine = out.authors.setdefault(r.k, [0] * _INTS)
                for i in range(6):
                    mine[i] += c[i]
                    out.total[i] += c[i]
                mine[6] += 1  # practices visited in the period
        elif r.kind in ("la", "lt") and c[0]:
            value = (float(r.x0), float(r.x1), c[0])
            if r.kind == "la":
                out.lags[r.k] = value
            else:
                out.total_lags = value
        elif r.kind == "s":
            for target, key in ((out.author_steps, r.k), (out.practice_steps, r.k2)):
                counts = target.setdefault(key, dict.fromkeys(_STEP_AGG, 0))
                for name, n in zip(_STEP_AGG, c[:len(_STEP_AGG)], strict=True):
                    counts[name] += n
        elif r.kind == "m":
            out.moved[r.k] = c[0]
        elif r.kind == "mt":
            out.total_moved = c[0]
    return out


# -- the overview ----------------------------------------------------------------------------

@dataclass
class FacilitatorRow:
    name: str  # the account (user name); "" for the totals row
    label: str  # how the person is shown (full name, as in the API's report)
    practices: int = 0
    visits: int = 0
    minutes: int = 0
    expected_visits: float | None = None
    expected_hours: float | None = None
    stalled: int = 0
    lag_median: float | None = None
    lag_p90: float | None = None
    lag_known: int = 0
    with_notes: int = 0
    with_strategy: int = 0
    with_step: int = 0
    complete: int = 0
    steps_made: int = 0
    steps_detailed: int = 0
    open_steps: int = 0
    overdue_steps: int = 0
    moved_forward: int = 0
    flagged: list[tuple[str, str]] = field(default_factory=list)  # (tag, reason), see flags.py

    @property
    def flags(self) -> list[str]:
        return [reason for _, reason in self.flagged]

    @property
    def tags(self) -> list[str]:
        return [tag for tag, _ in self.flagged]

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)

    @property
    def pct_of_plan(self) -> float | None:
        return _pct(self.visits, self.expected_visits)

    @property
    def complete_pct(self) -> float | None:
        return _pct(self.complete, self.visits) if self.visits else None

    @property
    def steps_detail_pct(self) -> float | None:
        return _pct(self.steps_detailed, self.steps_made) if self.steps_made else None


@dataclass
class Overview:
    rows: list[FacilitatorRow]
    totals: FacilitatorRow
    practices: dict[str, PracticeRow]


def overview(ctx: Ctx) -> Overview:
    """One row per facilitator (everyone with practices assigned in scope or visits in the
    period, as in the API's intensity report) and the totals of the scope."""
    from .flags import flags_for

    prs = _practice_base(ctx)
    roll = _rollup(ctx)
    _apply_practice_figures(ctx, prs, roll)
    assigned: dict[str, list[str]] = {}
    for practice in prs.values():
        for name in practice.facilitators:
            assigned.setdefault(name, []).append(practice.id)
    names = set(roll.authors) | set(assigned)
    shown = display_names(ctx.conn, names)
    rows = []
    for name in names:
        a, mine = roll.authors.get(name), [prs[p] for p in assigned.get(name, [])]
        row = FacilitatorRow(name=name, label=shown[name])
        _fill_visits(row, a)
        row.practices = len(mine) if mine else (a[6] if a else 0)
        _fill_plan(row, mine)
        if name in roll.lags:
            row.lag_median, row.lag_p90, row.lag_known = roll.lags[name]
        _fill_steps(row, roll.author_steps.get(name))
        row.moved_forward = roll.moved.get(name, 0)
        row.flagged = flags_for(row)
        rows.append(row)
    rows.sort(key=lambda r: (-len(r.flags), r.label.lower()))
    totals = FacilitatorRow(name="", label="All facilitators")
    _fill_visits(totals, roll.total)
    totals.practices = len(prs)
    _fill_plan(totals, list(prs.values()))
    if roll.total_lags:
        totals.lag_median, totals.lag_p90, totals.lag_known = roll.total_lags
    _fill_steps(totals, {k: sum(c[k] for c in roll.author_steps.values()) for k in _STEP_AGG})
    totals.moved_forward = roll.total_moved
    return Overview(rows, totals, prs)


def _fill_visits(row: FacilitatorRow, a: list[int] | None) -> None:
    if a:
        row.visits, row.minutes, row.with_notes, row.with_strategy, row.with_step, row.complete = a[:6]


def _fill_plan(row: FacilitatorRow, mine: list[PracticeRow]) -> None:
    expected = [p for p in mine if p.expected_visits is not None]
    if expected:
        row.expected_visits = round(sum(p.expected_visits or 0 for p in expected), 1)
        row.expected_hours = round(sum(p.expected_hours or 0 for p in expected), 1)
    row.stalled = sum(1 for p in mine if p.stalled)


def _fill_steps(row: FacilitatorRow, counts: dict[str, int] | None) -> None:
    if counts:
        row.open_steps, row.overdue_steps = counts["open"], counts["overdue"]
        row.steps_made, row.steps_detailed = counts["made"], counts["detailed"]


# -- the rows behind each number -------------------------------------------------------------

@dataclass(frozen=True)
class VisitRow:
    id: str
    practice_id: str
    practice: str
    author: str
    date: str
    mode: str
    minutes: int
    lag: int | None
    has_notes: bool
    strategies: int
    steps: int

    @property
    def complete(self) -> bool:
        return self.has_notes and self.strategies > 0 and self.steps > 0

    @property
    def missing(self) -> list[str]:
        return [what for what, ok in (("notes", self.has_notes), ("strategy", self.strategies > 0),
                                      ("next step", self.steps > 0)) if not ok]


def visit_list(ctx: Ctx, *, author: str | None = None, practice_id: str | None = None,
               kind: str = "all") -> list[VisitRow]:
    """Visits in the period, newest first; `kind` "late" (logged more than LATE_DAYS after the
    visit), "incomplete" (missing notes, a strategy or a next step) or "all"."""
    f = _facts(ctx, author=author, practice_id=practice_id)
    p = t.rows.alias("pn")
    q = (select(f, ctx.sql.text(p.c.data, "name").label("practice"))
         .select_from(f.outerjoin(p, and_(p.c.entity == "practice", p.c.id == f.c.practice_id)))
         .order_by(f.c.vdate.desc(), f.c.id))
    if kind == "late":
        q = q.where(f.c.lag > LATE_DAYS)
    elif kind == "incomplete":
        q = q.where(~_complete(f))
    return [VisitRow(r.id, r.practice_id, r.practice or r.practice_id, r.author, r.vdate, r.mode or "",
                     int(r.minutes or 0), None if r.lag is None else int(r.lag), bool(r.has_notes), int(r.nstrat),
                     int(r.nsteps)) for r in ctx.conn.execute(q)]


@dataclass(frozen=True)
class StepRow:
    id: str
    practice_id: str
    practice: str
    author: str  # who logged the visit that made the step
    visit_date: str
    action: str
    owner: str
    due: str | None
    status: str
    closed_on: str | None
    is_open: bool
    is_overdue: bool


def step_list(ctx: Ctx, *, author: str | None = None, practice_id: str | None = None,
              state: str = "open") -> list[StepRow]:
    """Next steps: "open" or "overdue" at the period's end, "undetailed" (made in the period
    without an owner or a due date), "made" (made in the period) or "all" up to the end."""
    source, s, e = _step_columns(ctx)
    p = t.rows.alias("pn")
    q = (select(s.c.id, s.c.practice_id, ctx.sql.text(p.c.data, "name").label("practice"), e["author"].label("author"),
                      e["vdate"].label("vdate"), e["action"].label("action"), e["owner"].label("owner"),
                      e["due"].label("due"), e["status"].label("status"), e["closed_on"].label("closed_on"),
                      case((e["is_open"], 1), else_=0).label("is_open"),
                      case((e["is_overdue"], 1), else_=0).label("is_overdue"))
         .select_from(source.outerjoin(p, and_(p.c.entity == "practice", p.c.id == s.c.practice_id)))
         .order_by(e["due"].is_(None), e["due"], e["vdate"], s.c.id))
    if author is not None:
        q = q.where(e["author"] == author)
    if practice_id is not None:
        q = q.where(s.c.practice_id == practice_id)
    if state == "open":
        q = q.where(e["is_open"])
    elif state == "overdue":
        q = q.where(e["is_overdue"])
    elif state == "undetailed":
        q = q.where(and_(e["in_period"], ~e["has_detail"]))
    elif state == "made":
        q = q.where(e["in_period"])
    return [StepRow(r.id, r.practice_id, r.practice or r.practice_id, r.author, r.vdate, r.action or "", r.owner or "",
                    r.due, r.status or "", r.closed_on, bool(r.is_open), bool(r.is_overdue))
            for r in ctx.conn.execute(q)]


@dataclass(frozen=True)
class MoveRow:
    practice_id: str
    practice: str
    author: str
    visit_id: str
    date: str
    strategy_id: str
    before: str
    after: str


def move_list(ctx: Ctx, *, author: str | None = None, practice_id: str | None = None) -> list[MoveRow]:
    """Each strategy a visit in the period moved to a later stage, newest first."""
    q, _ = _moves(ctx, author=author, practice_id=practice_id)
    m = q.subquery("m")
    p = t.rows.alias("pn")
    rows = ctx.conn.execute(select(m, ctx.sql.text(p.c.data, "name").label("practice"))
                            .select_from(m.outerjoin(p, and_(p.c.entity == "practice", p.c.id == m.c.practice_id)))
                            .order_by(m.c.vdate.desc(), m.c.practice_id, m.c.strategy_id))
    return [MoveRow(r.practice_id, r.practice or r.practice_id, r.author, r.visit_id, r.vdate, r.strategy_id,
                    r.before, r.after) for r in rows]


def monthly_visits(ctx: Ctx, *, author: str | None = None, practice_id: str | None = None,
                   months: int = 12) -> list[tuple[str, int, float]]:
    """(YYYY-MM, visits, hours) for the `months` calendar months up to the period's end."""
    end = ctx.period.end
    y, mth = end.year, end.month
    keys = []
    for _ in range(months):
        keys.append(f"{y:04d}-{mth:02d}")
        y, mth = (y, mth - 1) if mth > 1 else (y - 1, 12)
    keys.reverse()
    r = t.rows
    vdate = ctx.sql.text(r.c.data, "date")
    month = func.substr(vdate, 1, 7)
    q = (select(month, func.count(), func.coalesce(func.sum(ctx.sql.int(r.c.data, "minutes")), 0))
         .where(and_(r.c.entity == "visit", r.c.deleted.is_(False), r.c.practice_id.in_(ctx.scope),
                     vdate <= ctx.end_iso, vdate >= f"{keys[0]}-01"))
         .group_by(month))
    if author is not None:
        q = q.where(r.c.author == author)
    if practice_id is not None:
        q = q.where(r.c.practice_id == practice_id)
    found = {k: (int(n), round(int(mins) / 60, 2)) for k, n, mins in ctx.conn.execute(q)}
    return [(k, *found.get(k, (0, 0.0))) for k in keys]


def facilitator_names(ctx: Ctx) -> dict[str, str]:
    """Accounts that have practices in scope or logged visits in scope -> how they are shown."""
    r = t.rows
    names = {n for (n,) in ctx.conn.execute(
        select(t.users.c.name).join(t.assignments, t.assignments.c.user_id == t.users.c.id)
        .where(t.assignments.c.practice_id.in_(ctx.scope)).distinct())}
    names |= {n for (n,) in ctx.conn.execute(select(r.c.author).where(and_(
        r.c.entity == "visit", r.c.deleted.is_(False), r.c.practice_id.in_(ctx.scope))).distinct())}
    return display_names(ctx.conn, names)


@dataclass(frozen=True)
class SharedEntry:
    """A diary entry a facilitator shared with their supervisor, as the facilitator page shows it."""

    written_on: str
    text: str
    tags: list[str]
    practice: str  # the practice's name, if the entry is about one the viewer may read
    strategies: list[str]


def shared_diary(ctx: Ctx, viewer: User, name: str, *, limit: int = 200) -> list[SharedEntry] | None:
    """The entries `name` shared, newest first, for a supervisor of their cooperative; None for
    anyone else (an admin or a lead of no cooperative reads no diary)."""
    if viewer.role != "supervisor" or viewer.cooperative_id is None:
        return None
    author = ctx.conn.execute(select(t.users.c.id).where(and_(
        t.users.c.name == name, t.users.c.cooperative_id == viewer.cooperative_id))).first()
    if author is None:
        return []
    r = t.rows
    rows = ctx.conn.execute(select(r.c.data).where(and_(
        r.c.entity == "diary_entry", r.c.practice_id == scope_key("personal", int(author.id)),
        r.c.deleted.is_(False))).order_by(r.c.sv.desc()).limit(limit)).all()
    entries = [json.loads(row.data) for row in rows]
    wanted = {e.get("about_practice") for e in entries if e.get("about_practice")}
    practices = select(r.c.id, r.c.data).where(and_(r.c.entity == "practice", r.c.id.in_(wanted),
                                                    r.c.practice_id.in_(ctx.scope)))
    names = {pid: json.loads(data).get("name", "") for pid, data in ctx.conn.execute(practices)} if wanted else {}
    out = [SharedEntry(str(e.get("written_on") or ""), str(e.get("text") or ""), list(e.get("tags") or []),
                       names.get(e.get("about_practice") or "", ""), list(e.get("strategies") or [])) for e in entries]
    return sorted(out, key=lambda e: e.written_on, reverse=True)

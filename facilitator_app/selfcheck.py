"""`facilitator-app self-check`: prove that an installed copy of the app really works.

Why: a frozen bundle can start and still be broken (a missing font, toolkit file, Qt plugin or
keyring backend only shows up when that code path runs). The self-check walks every layer once,
in a throwaway data folder so the user's records are never touched, and says which step failed
and how long each took. The installer test and IT staff run it; it works frozen or from source.

Everything here is Qt-free: the window step lives in ui/window_check.py, imported only to run it.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from datetime import time as clock_time
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .paths import resources_dir

# Steps in the order they run; each name is what the report prints.
STEP_NAMES = ("data folder", "database", "toolkit", "visit", "report", "window", "keyring")


@dataclass
class Step:
    """One checked layer: did it work, how long it took, and what it found (or what broke)."""

    name: str
    ok: bool
    seconds: float
    detail: str


@dataclass
class SelfCheckReport:
    version: str
    frozen: bool
    python: str
    platform: str
    resources: str
    data_dir: str
    steps: list[Step] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}

    def text(self) -> str:
        """The short report a facilitator can read out to IT staff over the phone."""
        head = (f"Facilitator Field Kit {self.version} self-check "
                f"({'installed app' if self.frozen else 'from source'}, Python {self.python}, {self.platform})")
        width = max(len(s.name) for s in self.steps) if self.steps else 0
        lines = [head, f"Resources: {self.resources}"]
        for s in self.steps:
            lines.append(f"  {'ok  ' if s.ok else 'FAIL'}  {s.name.ljust(width)}  "
                         f"{s.seconds * 1000:7.0f} ms  {s.detail}")
        failed = [s.name for s in self.steps if not s.ok]
        verdict = "all checks passed" if not failed else f"FAILED: {', '.join(failed)}"
        lines.append(f"Total {self.seconds:.2f} s: {verdict}.")
        return "\n".join(lines)


class CheckFailed(Exception):
    """A check ran but found something wrong; the message says what."""


def _timed(report: SelfCheckReport, name: str, check: Callable[[], str]) -> bool:
    """Run one check, recording its outcome; an exception is a failure with its message, never a crash."""
    start = time.perf_counter()
    try:
        detail = check()
        ok = True
    except Exception as exc:  # noqa: BLE001 - the whole point is to report any breakage
        detail = f"{type(exc).__name__}: {exc}".strip()
        ok = False
    report.steps.append(Step(name, ok, time.perf_counter() - start, detail))
    return ok


def _skip(report: SelfCheckReport, name: str, because: str) -> None:
    report.steps.append(Step(name, False, 0.0, f"not run: {because}"))


# -- the Qt-free checks --------------------------------------------------------------------


def check_database(data_dir: Path) -> tuple[Any, str]:
    """Create the database through the same path the app uses, which runs every migration."""
    from .store import Store
    from .store.accounts import active_database
    from .store.db import database_health

    path = active_database(data_dir)
    store = Store.open(path)
    health = database_health(store.conn)
    if health.integrity != "ok":
        store.close()
        raise CheckFailed(f"integrity check says {health.integrity!r}")
    return store, f"schema version {health.schema_version}, journal {health.journal_mode}, {path.name}"


def check_toolkit() -> tuple[Any, str]:
    from .core.toolkit import EXPECTED_STRATEGIES, load_toolkit

    toolkit = load_toolkit()
    count = len(toolkit.strategies)
    if count != EXPECTED_STRATEGIES:
        raise CheckFailed(f"the toolkit has {count} strategies, expected {EXPECTED_STRATEGIES}")
    return toolkit, f"version {toolkit.version}, {count} strategies"


def sample_visit(toolkit: Any) -> tuple[Any, Any]:
    """A practice and a full visit touching a smoking strategy, so the report prints a quitline."""
    from .core.model import Attendee, Practice, StrategyWork, Visit
    from .core.vocab import ContactRole, StrategyStatus

    smoking = next((s for s in toolkit.strategies if s.domain == "S"), toolkit.strategies[0])
    other = next(s for s in toolkit.strategies if s.id != smoking.id)
    practice = Practice(name="Self-check Family Medicine (Łukasz & Søn)", state="WI", address="1 Main St, Wausau",
                        phone="715-555-0100")
    today = date.today()
    visit = Visit(
        practice_id=practice.id, date=today, start_time=clock_time(9, 30), minutes=60, travel_minutes=20,
        facilitator="Self-check",
        attendees=[Attendee("Nguyễn Thị Ánh", ContactRole.CHAMPION.value)],
        strategies=[StrategyWork(smoking.id, StrategyStatus.SELECTED.value, StrategyStatus.IN_PROGRESS.value,
                                 "Fax referral form set up"),
                    StrategyWork(other.id, StrategyStatus.NOT_SELECTED.value, StrategyStatus.SELECTED.value)],
        practice_notes="Written by the installed app's self-check; this folder is deleted afterwards.",
        next_contact=today,
    )
    return practice, visit


def sample_steps(visit: Any) -> list[Any]:
    from .core.model import NextStep

    return [NextStep(visit.practice_id, visit.id, "Test the quitline e-referral", owner="Nguyễn Thị Ánh",
                     due=visit.date)]


def check_visit(store: Any, toolkit: Any) -> tuple[Any, str]:
    """Write a visit through the store (row + outbox in one transaction) and read it back."""
    practice, visit = sample_visit(toolkit)
    store.save_practice(practice)
    steps = sample_steps(visit)
    store.save_visit(visit, toolkit, steps=steps)
    back = store.visit(visit.id)
    if back != visit:
        raise CheckFailed("the visit read back differs from the one written")
    if [s.action for s in store.next_steps(visit.practice_id, visit_id=visit.id)] != [s.action for s in steps]:
        raise CheckFailed("the visit's next steps read back differ from the ones written")
    pending = store.pending_changes()
    if pending < 2:
        raise CheckFailed(f"expected the practice and the visit in the outbox, found {pending} change(s)")
    return visit, f"saved and read back; {pending} change(s) waiting to sync"


def check_report(store: Any, toolkit: Any, visit: Any, data_dir: Path) -> str:
    from .reports.data import gather_visit_summary
    from .reports.visit_summary import write_visit_summary

    out = data_dir / "visit-summary.pdf"
    rendered = write_visit_summary(gather_visit_summary(store, toolkit, visit.id), out)
    head = out.read_bytes()[:5]
    if head != b"%PDF-" or rendered.pages < 1:
        raise CheckFailed(f"{out.name} is not a PDF")
    return f"visit summary, {rendered.pages} page(s), {out.stat().st_size // 1024} KB"


def keyring_backend() -> str:
    """Which backend a sign-in token would go to, in words (never touches a stored secret)."""
    from .sync.credentials import backend_name, usable_backend

    backend = usable_backend()
    if backend is None:
        return "none usable: a sign-in would be kept in memory for the session only"
    return f"{backend_name(backend)} ({type(backend).__module__})"


def native_keyring_modules() -> tuple[str, ...]:
    """The keyring backend modules this operating system's secure store needs in the bundle."""
    if sys.platform == "win32":
        return ("keyring.backends.Windows",)
    if sys.platform == "darwin":
        return ("keyring.backends.macOS",)
    return ("keyring.backends.SecretService", "keyring.backends.kwallet", "keyring.backends.libsecret")


def check_keyring() -> str:
    """The platform's backend modules must import (a frozen build can drop them); which one is
    used depends on the desktop session, so 'none usable' is reported, not failed."""
    import importlib

    missing = []
    for name in native_keyring_modules():
        try:
            importlib.import_module(name)
        except ImportError as exc:
            missing.append(f"{name} ({exc})")
    if missing:
        raise CheckFailed("keyring backend missing from this installation: " + "; ".join(missing))
    return keyring_backend()


def run_self_check(*, window: bool = True, keep: bool = False, data_dir: Path | None = None) -> SelfCheckReport:
    """Run every check in a fresh temporary data folder and return the report.

    `data_dir` must not exist or be empty; it is a fresh folder made under the system temp
    folder when not given, and deleted afterwards unless `keep`.
    """
    started = time.perf_counter()
    made_here = data_dir is None
    folder = Path(tempfile.mkdtemp(prefix="ffk-selfcheck-")) if data_dir is None else Path(data_dir)
    report = SelfCheckReport(version=__version__, frozen=bool(getattr(sys, "frozen", False)),
                             python=platform.python_version(), platform=f"{platform.system()} {platform.machine()}",
                             resources=str(resources_dir()), data_dir=str(folder))
    state: dict[str, Any] = {}

    def data_folder() -> str:
        folder.mkdir(parents=True, exist_ok=True)
        if any(folder.iterdir()):
            raise CheckFailed(f"{folder} is not empty; the self-check only writes to an empty folder")
        probe = folder / "write-test"
        probe.write_bytes(b"ok")
        probe.unlink()
        return str(folder)

    def database() -> str:
        state["store"], detail = check_database(folder)
        return detail

    def toolkit() -> str:
        state["toolkit"], detail = check_toolkit()
        return detail

    def visit() -> str:
        state["visit"], detail = check_visit(state["store"], state["toolkit"])
        return detail

    try:
        ok_folder = _timed(report, "data folder", data_folder)
        ok_db = ok_folder and _timed(report, "database", database)
        if not ok_folder:
            _skip(report, "database", "no data folder")
        ok_tk = _timed(report, "toolkit", toolkit)
        if ok_db and ok_tk:
            if _timed(report, "visit", visit):
                _timed(report, "report", lambda: check_report(state["store"], state["toolkit"], state["visit"],
                                                              folder))
            else:
                _skip(report, "report", "no visit to print")
        else:
            _skip(report, "visit", "no database or toolkit")
            _skip(report, "report", "no database or toolkit")
        if "store" in state:
            state.pop("store").close()
        if window:
            if ok_folder:
                _timed(report, "window", lambda: _window_check(folder / "gui"))
            else:
                _skip(report, "window", "no data folder")
        _timed(report, "keyring", check_keyring)
    finally:
        if "store" in state:
            state["store"].close()
        if made_here and not keep:
            shutil.rmtree(folder, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


def _window_check(data_dir: Path) -> str:
    from .ui.window_check import build_main_window_offscreen  # loads Qt, so only when this step runs

    return build_main_window_offscreen(data_dir)


def offscreen_environment() -> None:
    """Make Qt draw offscreen for the check, whatever display the machine has (or lacks)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"

"""The 35-strategy toolkit: loaded from a versioned JSON file and validated on load.

A cooperative may replace the shipped file with its own customized one (same schema); the
server distributes it, so nothing here is hard-coded content.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from ..paths import resource
from .errors import FieldKitError
from .vocab import ARMS, DOMAINS, Measure

SCHEMA = 1
MIN_STEPS, MAX_STEPS = 3, 7
EXPECTED_STRATEGIES = 35


class ToolkitError(FieldKitError):
    """The toolkit file cannot be used; the message says which entry and what is wrong."""


@dataclass(frozen=True)
class Resource:
    name: str
    phone: str = ""
    url: str = ""
    note: str = ""
    last_verified: date | None = None


@dataclass(frozen=True)
class Strategy:
    id: str
    domain: str
    arm: str
    title: str
    summary: str
    why: str
    measures: tuple[str, ...]
    steps: tuple[str, ...]
    ehr_tips: tuple[str, ...] = ()
    resources: tuple[Resource, ...] = ()

    @property
    def domain_label(self) -> str:
        return DOMAINS[self.domain]

    @property
    def arm_label(self) -> str:
        return ARMS[self.arm]

    def matches(self, text: str) -> bool:
        """Case-insensitive search over id, title, summary, steps and tips."""
        needle = text.strip().lower()
        if not needle:
            return True
        haystack = " ".join((self.id, self.title, self.summary, self.why, *self.steps, *self.ehr_tips)).lower()
        return all(word in haystack for word in needle.split())


@dataclass(frozen=True)
class Quitline:
    state: str
    name: str
    phone: str
    hours: str = ""
    how_to_refer: str = ""
    electronic_referral: bool = False
    url: str = ""
    last_verified: date | None = None

    @property
    def is_national(self) -> bool:
        return self.state.startswith("US")

    @property
    def is_state_line(self) -> bool:
        """A state's own line (`quitline_for` lists only the practice's state and the national ones)."""
        return not self.is_national


@dataclass(frozen=True)
class Toolkit:
    toolkit_id: str
    version: str
    title: str
    strategies: tuple[Strategy, ...]
    quitlines: tuple[Quitline, ...] = ()
    published: date | None = None
    source: Path | None = field(default=None, compare=False)

    @cached_property
    def by_id(self) -> dict[str, Strategy]:
        return {s.id: s for s in self.strategies}

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(self.by_id)

    def get(self, strategy_id: str) -> Strategy:
        try:
            return self.by_id[strategy_id.upper()]
        except KeyError:
            raise ToolkitError(f"There is no strategy {strategy_id!r} in toolkit {self.version} "
                               f"(ids look like A1, B11, X5)") from None

    def search(self, text: str = "", *, domain: str | None = None, arm: str | None = None) -> list[Strategy]:
        return [s for s in self.strategies
                if (domain is None or s.domain == domain) and (arm is None or s.arm == arm) and s.matches(text)]

    def quitline_for(self, state: str) -> list[Quitline]:
        """The state's quitline (if listed) followed by the national lines."""
        state = (state or "").upper()
        own = [q for q in self.quitlines if q.state == state]
        national = [q for q in self.quitlines if q.is_national]
        return own + national


CUSTOM_TOOLKIT_FILE = "toolkit.json"


def default_toolkit_path() -> Path:
    return resource("toolkit", "toolkit.json")


def active_toolkit_path(data_dir: Path) -> Path:
    """The cooperative's toolkit installed in the data folder, else the shipped one."""
    custom = Path(data_dir) / CUSTOM_TOOLKIT_FILE
    return custom if custom.exists() else default_toolkit_path()


def install_toolkit(document: dict[str, Any], data_dir: Path) -> Toolkit:
    """Validate a cooperative's toolkit and make it the active one for this data folder.

    Written to a temporary file and renamed, so a crash never leaves half a toolkit.
    """
    toolkit = parse_toolkit(document)
    target = Path(data_dir) / CUSTOM_TOOLKIT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, target)
    return toolkit


def load_toolkit(path: Path | None = None) -> Toolkit:
    path = Path(path) if path else default_toolkit_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ToolkitError(f"Toolkit file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ToolkitError(f"Toolkit file {path} cannot be read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolkitError(f"Toolkit file {path} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return parse_toolkit(data, source=path)


def parse_toolkit(data: Any, *, source: Path | None = None) -> Toolkit:
    """Validate a toolkit document; every problem is reported with the strategy it belongs to."""
    where = f"Toolkit {source.name}" if source else "Toolkit"
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ToolkitError(f"{where}: the file must hold a JSON object")
    if data.get("schema") != SCHEMA:
        problems.append(f"schema must be {SCHEMA} (got {data.get('schema')!r})")
    for key in ("toolkit_id", "version", "title"):
        if not isinstance(data.get(key), str) or not data.get(key, "").strip():
            problems.append(f"'{key}' is required")
    raw = data.get("strategies")
    strategies: list[Strategy] = []
    if not isinstance(raw, list):
        problems.append("'strategies' must be a list")
        raw = []
    seen: set[str] = set()
    for index, item in enumerate(raw, 1):
        label = f"strategy #{index}" + (f" ({item.get('id')})" if isinstance(item, dict) and item.get("id") else "")
        try:
            strategy = _parse_strategy(item)
        except ValueError as exc:
            problems.append(f"{label}: {exc}")
            continue
        if strategy.id in seen:
            problems.append(f"{label}: id {strategy.id} is used twice")
        seen.add(strategy.id)
        strategies.append(strategy)
    if len(raw) != EXPECTED_STRATEGIES:
        problems.append(f"must hold exactly {EXPECTED_STRATEGIES} strategies (found {len(raw)})")
    quitlines: list[Quitline] = []
    for index, item in enumerate(data.get("quitlines") or [], 1):
        try:
            quitlines.append(Quitline(
                state=_text(item, "state"), name=_text(item, "name"), phone=_text(item, "phone"),
                hours=item.get("hours", ""), how_to_refer=item.get("how_to_refer", ""),
                electronic_referral=bool(item.get("electronic_referral", False)), url=item.get("url", ""),
                last_verified=_date(item.get("last_verified"))))
        except (ValueError, AttributeError) as exc:
            problems.append(f"quitline #{index}: {exc}")
    if problems:
        raise ToolkitError(f"{where} cannot be used:\n  - " + "\n  - ".join(problems))
    return Toolkit(toolkit_id=data["toolkit_id"], version=data["version"], title=data["title"],
                   strategies=tuple(strategies), quitlines=tuple(quitlines),
                   published=_date(data.get("published")), source=source)


def _text(item: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = item.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"'{key}' must be non-empty text")
    return value.strip()


def _texts(item: dict[str, Any], key: str) -> tuple[str, ...]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"'{key}' must be a list of non-empty texts")
    return tuple(v.strip() for v in value)


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"date {value!r} must look like 2026-11-01") from None


def _parse_strategy(item: Any) -> Strategy:
    if not isinstance(item, dict):
        raise ValueError("must be a JSON object")
    sid = _text(item, "id").upper()
    domain = _text(item, "domain")
    if domain not in DOMAINS:
        raise ValueError(f"domain must be one of {', '.join(DOMAINS)}")
    arm = _text(item, "arm")
    if arm not in ARMS:
        raise ValueError(f"arm must be one of {', '.join(ARMS)}")
    measures = _texts(item, "measures")
    if not measures or any(m not in Measure.choices() for m in measures):
        raise ValueError("measures must list one or more of A, B, C, S")
    steps = _texts(item, "steps")
    if not MIN_STEPS <= len(steps) <= MAX_STEPS:
        raise ValueError(f"must have {MIN_STEPS} to {MAX_STEPS} checklist steps (has {len(steps)})")
    resources = []
    for r in item.get("resources", []):
        if not isinstance(r, dict):
            raise ValueError("each resource must be a JSON object")
        res = Resource(name=_text(r, "name"), phone=r.get("phone", "") or "", url=r.get("url", "") or "",
                       note=r.get("note", "") or "", last_verified=_date(r.get("last_verified")))
        if not (res.phone or res.url):
            raise ValueError(f"resource {res.name!r} needs a phone number or a URL")
        resources.append(res)
    return Strategy(id=sid, domain=domain, arm=arm, title=_text(item, "title"), summary=_text(item, "summary"),
                    why=_text(item, "why"), measures=measures, steps=steps, ehr_tips=_texts(item, "ehr_tips"),
                    resources=tuple(resources))

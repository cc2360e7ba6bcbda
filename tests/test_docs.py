"""The code names docs/architecture.md cites still exist, so the page cannot go stale silently.

A reference is a code span `path/module.py: name, Class.attr` (path below facilitator_app/). In
"The life of an edit" a span that is a dotted name (`Store.put`) or a private name (`_apply_one`)
must also be found in one of the modules that section cites (or their classes): there every
name counts.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from types import ModuleType

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"
SECTION = "## The life of an edit"
SPAN = re.compile(r"`([^`\n]+)`")
QUALIFIED = re.compile(r"^((?:\w+/)*\w+\.py): (.+)$")
BARE = re.compile(r"^(?:_\w+|[A-Za-z_]\w*(?:\.\w+)+)$")


def _section(text: str) -> str:
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:] if end < 0 else text[start:end]


def _module(path: str) -> ModuleType:
    return importlib.import_module("facilitator_app." + path.removesuffix(".py").replace("/", "."))


def _has(owner: object, dotted: str) -> bool:
    for part in dotted.split("."):
        if not hasattr(owner, part):
            return False
        owner = getattr(owner, part)
    return True


def _names(listing: str) -> list[str]:
    """`a, B.c, d(x, ...)` -> [a, B.c, d]: call arguments are prose."""
    listing = re.sub(r"\([^)]*\)", "", listing)
    return [n.strip() for n in listing.split(",") if n.strip()]


def qualified_references(text: str) -> list[tuple[str, str]]:
    refs = []
    for span in SPAN.findall(text):
        match = QUALIFIED.match(span.strip())
        if match:
            refs += [(match.group(1), name) for name in _names(match.group(2))]
    return refs


def test_every_qualified_reference_exists() -> None:
    refs = qualified_references(DOC.read_text(encoding="utf-8"))
    assert len(refs) > 20  # the pattern still matches how the page writes references
    missing = [f"{path}: {name}" for path, name in refs
               if not (Path(_module(path).__file__ or "").is_file() and _has(_module(path), name))]
    assert not missing, f"docs/architecture.md cites names that do not exist: {missing}"


def test_the_life_of_an_edit_names_only_real_code() -> None:
    section = _section(DOC.read_text(encoding="utf-8"))
    modules = {path: _module(path) for path, _name in qualified_references(section)}
    owners: list[object] = list(modules.values())
    owners += [v for m in modules.values() for v in vars(m).values() if isinstance(v, type)]
    bare = [span for span in SPAN.findall(section) if BARE.match(span)]
    missing = [name for name in bare if not any(_has(owner, name) for owner in owners)]
    missing += [f"{p}: {n}" for p, n in qualified_references(section) if not _has(modules[p], n)]
    assert not missing, f'"The life of an edit" cites names that do not exist: {missing}'
    # it walks the whole path: form, writer thread, _put, push, merge, pull, apply_page
    for module in ("ui/ops.py", "store/store.py", "store/sync_state.py", "sync/engine.py", "sync/client.py",
                   "server/push.py", "server/merge.py", "server/pull.py", "store/pulled.py"):
        assert module in modules, f"the section no longer cites {module}"
    assert len(bare) + len(qualified_references(section)) >= 30


@pytest.mark.parametrize("span, ok", [("Store.put", True), ("Store._put", False), ("_apply_one", True),
                                      ("_nowhere", False)])
def test_the_check_can_fail(span: str, ok: bool) -> None:
    from facilitator_app.server import push
    from facilitator_app.store import store
    owners = [store, push, store.Store]
    assert BARE.match(span) and any(_has(o, span) for o in owners) is ok

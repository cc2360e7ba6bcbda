"""The layers of docs/architecture.md, checked on the source: every module of facilitator_app is
parsed with `ast` (nothing is imported), and each rule lists the offending file:line.

    ui -> sync, reports, store -> core;   server -> sync.protocol, core
    Nothing outside ui/ imports Qt. Only store/ (client) and server/ hold SQL.

Imports inside functions and under `if TYPE_CHECKING:` count: a lazy import is still a dependency.
Catching a database's errors is not database code: a module may import sqlite3 (or SQLAlchemy)
outside store/ and server/ if all it takes from it are exception classes (cli.py turns them into
sentences).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "facilitator_app"

QT_MODULES = ("PySide6", "shiboken6", "PyQt5", "PyQt6")
SQL_MODULES = ("sqlite3", "sqlalchemy", "sqlite_utils", "alembic", "psycopg", "psycopg2")
SQL_PACKAGES = ("store", "server")
ERROR_NAME = re.compile(r"^\w*(Error|Warning)$")
EXECUTE_METHODS = {"execute", "executemany", "executescript", "exec_driver_sql"}
# The first word of a statement: what a string passed to execute() starts with if it is SQL.
SQL_STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|UPSERT|WITH|CREATE|DROP|ALTER|PRAGMA|BEGIN|"
                           r"COMMIT|ROLLBACK|SAVEPOINT|RELEASE|VACUUM|ATTACH|DETACH|ANALYZE|REINDEX)\b", re.IGNORECASE)
# SQL in any other string literal, in capitals as this code base writes it (not "Select a practice from...").
SQL_LITERAL = re.compile(r"^\s*(SELECT\s[\s\S]*\sFROM\s|INSERT\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|"
                         r"DELETE\s+FROM\s|CREATE\s+(TEMP\s+|UNIQUE\s+)?(TABLE|INDEX|VIEW|TRIGGER)\s|"
                         r"DROP\s+(TABLE|INDEX|VIEW|TRIGGER)\s|PRAGMA\s+\w)")

# Which parts of the package each layer may import (besides the standard library and third
# parties). "facilitator_app" alone is the package's __init__ (for __version__).
ALLOWED_IMPORTS = {
    # Plain domain types: nothing above them. paths finds the bundled toolkit file.
    "core": ("core", "paths", ""),
    # The local store builds on core only: never sync, reports, ui or server.
    "store": ("store", "core", "paths", ""),
    # Sync drives the store; it knows nothing of reports, the GUI or the server's code.
    "sync": ("sync", "store", "core", "paths", ""),
    # Reports read from the store; they know nothing of sync, the GUI or the server.
    "reports": ("reports", "store", "core", "paths", ""),
    # The server shares exactly the message shapes and the domain with the client.
    "server": ("server", "sync.protocol", "core", ""),
    # The desktop app (GUI and commands) never imports the server: its bundle leaves it out.
    # printing sends a finished PDF to a printer (CUPS, Windows), without Qt.
    "ui": ("ui", "sync", "reports", "store", "core", "paths", "selfcheck", "printing", ""),
    "commands": ("commands", "sync", "reports", "store", "core", "paths", "selfcheck", ""),
}


@dataclass(frozen=True)
class Finding:
    rule: str  # "qt", "sql" or "layer:<package>"
    where: str  # path:line
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass(frozen=True)
class Module:
    name: str  # facilitator_app.store.db
    label: str  # facilitator_app/store/db.py, for messages
    source: str

    @property
    def is_package(self) -> bool:
        return self.label.endswith("__init__.py")

    @property
    def layer(self) -> str:
        """The first package under facilitator_app ("" for top-level modules like cli.py)."""
        parts = self.name.split(".")
        return parts[1] if len(parts) > 2 or (len(parts) == 2 and self.is_package) else ""


def _only_errors_from(tree: ast.AST, line: int, name: str) -> bool:
    """Whether the import of database module `name` on `line` brings in exception classes only:
    `from sqlite3 import Error`, or `import sqlite3` used only as `sqlite3.SomethingError`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.lineno == line and node.module == name:
            return all(ERROR_NAME.match(alias.name) for alias in node.names)
    top = name.split(".")[0]
    uses = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == top]
    attrs = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
             and n.value.id == top]
    return bool(attrs) and len(attrs) == len(uses) and all(ERROR_NAME.match(a.attr) for a in attrs)


def _imports(module: Module, tree: ast.AST, known: set[str]) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import; `from X import name` counts as X.name when
    that is a module (a submodule), else as X."""
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - (node.level - 1)] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append((node.lineno, candidate if candidate in known else base))
    return list(dict.fromkeys(found))  # `from X import a, b` is one finding


def _is_under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _leading_text(node: ast.AST) -> str | None:
    """The text a string expression starts with (a literal, an f-string, a + or % of them)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _leading_text(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _leading_text(node.func.value)
    return None


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def check_module(module: Module, known: set[str]) -> list[Finding]:
    """Every rule's findings for one module's source."""
    tree = ast.parse(module.source, filename=module.label)
    findings: list[Finding] = []
    layer = module.layer
    for line, name in _imports(module, tree, known):
        where = f"{module.label}:{line}"
        if layer != "ui" and any(_is_under(name, qt) for qt in QT_MODULES):
            findings.append(Finding("qt", where, f"imports {name} (Qt belongs in {PACKAGE}/ui/)"))
        if (layer not in SQL_PACKAGES and any(_is_under(name, db) for db in SQL_MODULES)
                and not _only_errors_from(tree, line, name)):
            findings.append(Finding("sql", where, f"imports {name} (database code belongs in store/ or server/)"))
        if layer in ALLOWED_IMPORTS and _is_under(name, PACKAGE):
            allowed = [f"{PACKAGE}.{part}" if part else PACKAGE for part in ALLOWED_IMPORTS[layer]]
            ok = any(name == a if a == PACKAGE else _is_under(name, a) for a in allowed)
            if not ok:
                findings.append(Finding(f"layer:{layer}", where, f"{layer}/ imports {name}"))
    if layer not in SQL_PACKAGES:
        docstrings = _docstrings(tree)
        executed: set[int] = set()
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in EXECUTE_METHODS and node.args):
                text = _leading_text(node.args[0])
                if text is not None and SQL_STATEMENT.match(text):
                    executed |= {id(part) for part in ast.walk(node.args[0])}
                    findings.append(Finding("sql", f"{module.label}:{node.lineno}",
                                            f".{node.func.attr}({text.strip()[:40]!r}...)"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and id(node) not in executed and SQL_LITERAL.match(node.value)):
                findings.append(Finding("sql", f"{module.label}:{node.lineno}",
                                        f"SQL in a string: {node.value.strip()[:40]!r}"))
    return findings


def package_modules(root: Path = ROOT) -> list[Module]:
    modules = []
    for path in sorted((root / PACKAGE).rglob("*.py")):
        rel = path.relative_to(root)
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules.append(Module(".".join(parts), rel.as_posix(), path.read_text(encoding="utf-8")))
    return modules


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    modules = package_modules()
    assert len(modules) > 50, "the package was not found"
    known = {m.name for m in modules}
    return [f for m in modules for f in check_module(m, known)]


def _listing(found: list[Finding]) -> str:
    return "\n".join(str(f) for f in found)


def test_no_qt_outside_ui(findings: list[Finding]) -> None:
    found = [f for f in findings if f.rule == "qt"]
    assert not found, "Qt imported outside facilitator_app/ui/:\n" + _listing(found)


def test_no_sql_outside_store_and_server(findings: list[Finding]) -> None:
    found = [f for f in findings if f.rule == "sql"]
    assert not found, "SQL outside facilitator_app/store/ and facilitator_app/server/:\n" + _listing(found)


@pytest.mark.parametrize("layer", sorted(ALLOWED_IMPORTS))
def test_layer_imports_only_what_it_may(findings: list[Finding], layer: str) -> None:
    found = [f for f in findings if f.rule == f"layer:{layer}"]
    may = ", ".join(p or "the package's __init__" for p in ALLOWED_IMPORTS[layer])
    assert not found, f"{layer}/ may import only {may}:\n" + _listing(found)


# -- the checker itself must catch what it is for -------------------------------------------

KNOWN = {"facilitator_app", "facilitator_app.core", "facilitator_app.core.model", "facilitator_app.store",
         "facilitator_app.store.store", "facilitator_app.sync", "facilitator_app.sync.protocol",
         "facilitator_app.sync.engine", "facilitator_app.server", "facilitator_app.server.accounts",
         "facilitator_app.paths", "facilitator_app.ui", "facilitator_app.reports"}


def _check(name: str, source: str) -> list[str]:
    label = name.replace(".", "/") + ".py"
    return sorted(f"{f.rule} {f.where}" for f in check_module(Module(name, label, source), KNOWN))


def test_checker_reports_each_kind_of_violation_with_its_line() -> None:
    bad_core = '''"""SELECT * FROM docstrings_are_fine"""
from ..store import Store
from facilitator_app.sync import engine
import PySide6.QtWidgets

def f(conn):
    from .. import reports  # lazy, still a dependency
    conn.execute("select id from practices")
    conn.executemany(f"INSERT INTO {table} VALUES (?)", rows)
    return "UPDATE visits SET minutes = 0 WHERE 1"
'''
    assert _check("facilitator_app.core.bad", bad_core) == sorted([
        "layer:core facilitator_app/core/bad.py:2",
        "layer:core facilitator_app/core/bad.py:3",
        "qt facilitator_app/core/bad.py:4",
        "layer:core facilitator_app/core/bad.py:7",
        "sql facilitator_app/core/bad.py:8",
        "sql facilitator_app/core/bad.py:9",
        "sql facilitator_app/core/bad.py:10",
    ])
    assert _check("facilitator_app.commands.x", "import sqlite3\nfrom sqlalchemy import text\n") == [
        "sql facilitator_app/commands/x.py:1", "sql facilitator_app/commands/x.py:2"]
    # An import used for an error class and for a connection is database code.
    assert _check("facilitator_app.cli", "import sqlite3\ntry:\n    sqlite3.connect('x')\n"
                  "except sqlite3.Error:\n    pass\n") == ["sql facilitator_app/cli.py:1"]
    assert _check("facilitator_app.store.x", "from ..sync.engine import SyncEngine\nimport PySide6\n") == [
        "layer:store facilitator_app/store/x.py:1", "qt facilitator_app/store/x.py:2"]
    assert _check("facilitator_app.server.x", "from ..sync import engine\nfrom .. import paths\n") == [
        "layer:server facilitator_app/server/x.py:1", "layer:server facilitator_app/server/x.py:2"]


def test_checker_accepts_what_the_layers_allow() -> None:
    assert _check("facilitator_app.server.routes.x", "from ... import __version__\nfrom ...sync.protocol import "
                  "PushRequest\nfrom ...core.model import Visit\nfrom ..accounts import User\nimport sqlalchemy\n"
                  "def f(c):\n    c.execute('SELECT 1')\n") == []
    assert _check("facilitator_app.ui.x", "from PySide6.QtWidgets import QLabel\nfrom ..sync import engine\n"
                  "label = 'Select a practice from the list'\n") == []
    assert _check("facilitator_app.core.x", "from .. import paths\nfrom . import model\nimport json\n") == []
    # Catching a database's errors (cli.py turns them into sentences) is not database code.
    assert _check("facilitator_app.cli", "import sqlite3\ntry:\n    run()\nexcept sqlite3.Error as exc:\n"
                  "    print(exc)\n") == []
    assert _check("facilitator_app.commands.x", "from sqlalchemy.exc import OperationalError\n") == []


def test_one_entity_registry_ties_model_schema_protocol_and_screens() -> None:
    """core/kinds.py names the entities once; each table of them checks itself against it at
    import, and this proves the check bites."""
    from typing import get_args

    from facilitator_app.core import kinds
    from facilitator_app.core.model import ENTITY_TYPES
    from facilitator_app.store.schema import ENTITY_TABLES
    from facilitator_app.sync.protocol import PutArgs, RowChange
    from facilitator_app.ui.context import ALL_ENTITIES

    assert set(ENTITY_TYPES) == set(ENTITY_TABLES) == set(ALL_ENTITIES) == set(kinds.ENTITY_NAMES)
    assert get_args(PutArgs.model_fields["entity"].annotation) == kinds.ENTITY_NAMES
    assert get_args(RowChange.model_fields["entity"].annotation) == kinds.ENTITY_NAMES
    import pytest
    with pytest.raises(AssertionError, match="missing \\['tip'\\]"):
        kinds.covers_every_entity([e for e in kinds.ENTITY_NAMES if e != "tip"], "a table")

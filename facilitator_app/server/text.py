"""Text the databases cannot store: NUL characters (PostgreSQL refuses them in text columns) and
lone surrogates (not encodable as UTF-8 on either database). Found before any SQL runs, so such
input is refused with a 4xx instead of crashing the request with a 500."""

from __future__ import annotations

from typing import Any


def text_problem(value: Any, where: str = "", *, nul: bool = True) -> str | None:
    """Where `value` (a JSON-like tree) holds unstorable text, or None. `nul=False` for values kept
    inside JSON text, where a NUL is escaped and harmless."""
    if isinstance(value, str):
        if nul and "\x00" in value:
            return f"{where or 'a value'} contains a NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{where or 'a value'} is not valid Unicode text"
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            found = (text_problem(k, f"a field name in {where}" if where else "a field name", nul=nul)
                     or text_problem(v, f"{where}.{k}" if where else str(k), nul=nul))
            if found:
                return found
        return None
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = text_problem(v, f"{where}[{i}]", nul=nul)
            if found:
                return found
    return None


def storable(value: Any) -> Any:
    """A copy of `value` with NULs and lone surrogates escaped, fit for the mutation log."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value

"""Text the databases cannot store: NUL characters (PostgreSQL refuses them in text columns) and
lone surrogates (not encodable as UTF-8 on either database). Found before any SQL runs, so such
input is refused with a 4xx instead of crashing the request with a 500."""

from __future__ import annotations

import json
from typing import Any


def text_problem(value: Any, where: str = "", *, nul: bool = True) -> str | None:
    """Where `value` (a JSON-like tree) holds unstorable text, or None. `nul=False` for values kept
    inside JSON text, where a NUL is escaped and harmless."""
    if isinstance(value, (dict, list)) and _plainly_fine(value, nul):
        return None
    return _find(value, where, nul)


def _plainly_fine(tree: dict[str, Any] | list[Any], nul: bool) -> bool:
    """One pass in C over the whole tree for the usual case (nothing wrong), so the walk below,
    which names the exact place, runs only when something may be."""
    try:
        text = _dumps(tree)
        text.encode("utf-8")  # a lone surrogate cannot be encoded
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
        return False
    return not (nul and "\\u0000" in text)  # json writes a NUL as \u0000


_dumps = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def _find(value: Any, where: str, nul: bool) -> str | None:
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
            found = (_find(k, f"a field name in {where}" if where else "a field name", nul)
                     or _find(v, f"{where}.{k}" if where else str(k), nul))
            if found:
                return found
        return None
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _find(v, f"{where}[{i}]", nul)
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

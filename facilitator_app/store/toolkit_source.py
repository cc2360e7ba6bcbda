"""Which toolkit the app shows: the cooperative's (pulled from its server and kept in the
account's database), else one installed by hand in the data folder, else the shipped one.

Kept in the account database so a facilitator who signs in to two cooperatives sees each one's
own toolkit, and so it is available offline from the moment it was first pulled.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ..core.toolkit import Toolkit, ToolkitError, active_toolkit_path, load_toolkit, parse_toolkit
from .meta import put_meta
from .store import Store

DOCUMENT_KEY = "toolkit_document"
VERSION_KEY = "toolkit_installed_version"
log = logging.getLogger(__name__)


def active_toolkit(store: Store, data_dir: Path) -> Toolkit:
    document = store.get_meta(DOCUMENT_KEY)
    if document:
        try:
            return parse_toolkit(json.loads(document))
        except (ToolkitError, ValueError) as exc:  # validated when saved, so only a damaged file lands here
            log.warning("The cooperative toolkit stored in %s cannot be used (%s); using the local one.",
                        store.path, exc)
    return load_toolkit(active_toolkit_path(data_dir))


def installed_cooperative_version(store: Store) -> str | None:
    return store.get_meta(VERSION_KEY)


def save_cooperative_toolkit(store: Store, document: dict[str, Any], *, version: str | None = None) -> Toolkit:
    """Validate the cooperative's toolkit and keep it; an invalid one raises and changes nothing.

    `version` is the label the server published it under (what later pulls compare against)."""
    toolkit = parse_toolkit(document)
    with store.transaction() as tx:
        for key, value in ((DOCUMENT_KEY, json.dumps(document, ensure_ascii=False)),
                           (VERSION_KEY, version or toolkit.version)):
            put_meta(tx.conn, key, value)
    return toolkit

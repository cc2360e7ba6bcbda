"""A cooperative publishes a customized toolkit; the next sync brings it to the laptop."""

from __future__ import annotations

import json

from facilitator_app.cli import main
from facilitator_app.core.toolkit import default_toolkit_path
from facilitator_app.store.toolkit_source import active_toolkit

from .conftest import PASSWORD, Laptop, unique


def _publish(server, tmp_path, cooperative: str, version: str, **changes) -> None:
    doc = json.loads(default_toolkit_path().read_text(encoding="utf-8"))
    doc["version"] = version
    for sid, title in changes.items():
        next(s for s in doc["strategies"] if s["id"] == sid)["title"] = title
    path = tmp_path / f"toolkit-{version}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    server.admin("toolkit", "publish", str(path), "--cooperative", cooperative)


def test_published_toolkit_reaches_the_laptop_and_is_used_offline(server, tmp_path, capsys):
    coop, user = unique("coop"), unique("tk")
    server.add_user(user, PASSWORD, cooperative=coop)
    laptop = Laptop(tmp_path / "a", server.url)
    laptop.sign_in(user)
    laptop.sync()
    assert active_toolkit(laptop.store, laptop.data_dir).title == "ABCS Improvement Toolkit"
    _publish(server, tmp_path, coop, "coop-2027.1", S4="Fax referral to the Illinois Tobacco Quitline")
    report = laptop.sync()
    assert report.toolkit_version == "coop-2027.1"
    toolkit = active_toolkit(laptop.store, laptop.data_dir)
    assert toolkit.version == "coop-2027.1" and toolkit.get("S4").title.startswith("Fax referral to the Illinois")
    assert laptop.sync().toolkit_version is None  # nothing new: not fetched again
    laptop.close()
    assert main(["--data-dir", str(laptop.data_dir), "toolkit", "show", "S4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["toolkit_version"] == "coop-2027.1"


class _ToolkitOnly:
    """Stands in for the HTTP client's toolkit download only (the rest of sync is not used)."""

    def __init__(self, outcome):
        self.outcome, self.calls = outcome, 0

    def toolkit(self):
        self.calls += 1
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def test_toolkit_download_failure_or_bad_document_never_fails_the_sync(tmp_path):
    from facilitator_app.store import Store
    from facilitator_app.sync.client import NetworkError
    from facilitator_app.sync.engine import SyncEngine, SyncReport
    from facilitator_app.sync.protocol import ToolkitDocument

    with Store.open(tmp_path / "local.sqlite") as store:
        store.set_meta("toolkit_version", "coop-9")
        failing = _ToolkitOnly(NetworkError("The server could not be reached."))
        report = SyncReport()
        SyncEngine(store, failing).update_toolkit(report)
        assert "will be tried again" in report.messages[0] and report.toolkit_version is None
        doc = json.loads(default_toolkit_path().read_text(encoding="utf-8"))
        doc["strategies"].pop()
        bad = _ToolkitOnly(ToolkitDocument(version="coop-9", document=doc))
        report = SyncReport()
        SyncEngine(store, bad).update_toolkit(report)
        assert "could not be used" in report.messages[0]
        SyncEngine(store, bad).update_toolkit(SyncReport())
        assert bad.calls == 1  # a refused version is not fetched again
        assert active_toolkit(store, tmp_path).title == "ABCS Improvement Toolkit"
        doc = json.loads(default_toolkit_path().read_text(encoding="utf-8"))
        doc["version"] = "label-inside-document"
        store.set_meta("toolkit_version", "coop-10")
        good = _ToolkitOnly(ToolkitDocument(version="coop-10", document=doc))
        SyncEngine(store, good).update_toolkit(SyncReport())
        SyncEngine(store, good).update_toolkit(SyncReport())
        assert good.calls == 1  # installed under the server's label, so not fetched every sync

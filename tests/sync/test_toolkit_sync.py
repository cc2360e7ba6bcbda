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

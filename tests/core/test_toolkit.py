import json

import pytest

from facilitator_app.core.toolkit import ToolkitError, default_toolkit_path, load_toolkit


def test_shipped_toolkit_has_35_unique_strategies_with_steps():
    toolkit = load_toolkit()
    ids = [s.id for s in toolkit.strategies]
    assert len(ids) == 35 and len(set(ids)) == 35
    assert {s.domain for s in toolkit.strategies} == {"A", "B", "C", "S", "X"}
    assert [i for i in ids if i.startswith("B")] == [f"B{n}" for n in range(1, 12)]
    for s in toolkit.strategies:
        assert 3 <= len(s.steps) <= 7, s.id
        assert s.summary and s.why and s.measures
    assert toolkit.version


def test_quitline_facts_and_lookup():
    toolkit = load_toolkit()
    illinois = toolkit.quitline_for("il")
    assert illinois[0].state == "IL" and "1-866-784-8937" in illinois[0].phone
    assert any("1-800-784-8669" in q.phone for q in illinois)
    assert any("1-800-784-8669" in r.phone for r in toolkit.get("S4").resources)


def test_search_and_filters():
    toolkit = load_toolkit()
    assert [s.id for s in toolkit.search(domain="S", arm="PM")] == ["S7"]
    assert "S4" in [s.id for s in toolkit.search("quitline fax")]
    with pytest.raises(ToolkitError, match="no strategy 'Q1'"):
        toolkit.get("Q1")


def _custom(tmp_path, mutate):
    data = json.loads(default_toolkit_path().read_text())
    mutate(data)
    path = tmp_path / "coop-toolkit.json"
    path.write_text(json.dumps(data))
    return path


def test_cooperative_toolkit_replaces_the_shipped_one(tmp_path):
    def customize(d):
        d["version"] = "coop-2027.1"
        d["strategies"][0]["title"] = "Record aspirin in the medication list (our clinic's way)"
    toolkit = load_toolkit(_custom(tmp_path, customize))
    assert toolkit.version == "coop-2027.1" and toolkit.get("A1").title.endswith("(our clinic's way)")


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["strategies"].pop(), "exactly 35 strategies (found 34)"),
    (lambda d: d["strategies"][1].update(id="A1"), "id A1 is used twice"),
    (lambda d: d["strategies"][2].update(steps=["one", "two"]), "3 to 7 checklist steps (has 2)"),
    (lambda d: d["strategies"][3].update(domain="Q"), "domain must be one of"),
    (lambda d: d["strategies"][4]["resources"].append({"name": "x", "phone": "", "url": ""}),
     "needs a phone number or a URL"),
    (lambda d: d.update(schema=7), "schema must be 1"),
])
def test_invalid_toolkit_is_refused_with_the_entry_named(tmp_path, mutate, message):
    with pytest.raises(ToolkitError) as exc:
        load_toolkit(_custom(tmp_path, mutate))
    assert message in str(exc.value)


def test_unreadable_toolkit_files(tmp_path):
    with pytest.raises(ToolkitError, match="not found"):
        load_toolkit(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    with pytest.raises(ToolkitError, match="not valid JSON"):
        load_toolkit(bad)

"""`self-check` from source (fast): every step really runs, failures are named, the user's data is
never touched, and the installer helpers (icons, .deb metadata) do what they say."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from facilitator_app import __version__
from facilitator_app.cli import main
from facilitator_app.selfcheck import STEP_NAMES, run_self_check

from .conftest import ROOT

QT_FREE = [n for n in STEP_NAMES if n != "window"]


def test_self_check_runs_every_qt_free_step(tmp_path: Path) -> None:
    report = run_self_check(window=False)
    assert [s.name for s in report.steps] == QT_FREE
    assert report.ok, report.text()
    assert report.frozen is False and report.version == __version__
    details = {s.name: s.detail for s in report.steps}
    assert "35 strategies" in details["toolkit"]
    assert "schema version" in details["database"]
    assert "page" in details["report"]
    assert "MemoryKeyring" in details["keyring"]  # the backend the test suite installed
    assert all(s.seconds >= 0 for s in report.steps) and report.seconds > 0
    assert not Path(report.data_dir).exists(), "the temporary folder must be removed"


def test_keep_leaves_the_files_to_inspect() -> None:
    report = run_self_check(window=False, keep=True)
    try:
        folder = Path(report.data_dir)
        pdf = folder / "visit-summary.pdf"
        assert pdf.read_bytes().startswith(b"%PDF-")
        assert (folder / "local.sqlite").exists()
    finally:
        shutil.rmtree(report.data_dir, ignore_errors=True)


def test_self_check_builds_the_main_window_offscreen(qapp) -> None:
    report = run_self_check(window=True)
    window = report.step("window")
    assert window is not None and window.ok, report.text()
    assert "platform offscreen" in window.detail and "widgets" in window.detail


def test_a_missing_resource_is_named_and_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulate a damaged installed bundle: resources are found under sys._MEIPASS, as when frozen."""
    bundle = tmp_path / "bundle"
    shutil.copytree(ROOT / "resources", bundle / "resources")
    (bundle / "resources" / "toolkit" / "toolkit.json").unlink()
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    report = run_self_check(window=False)
    assert not report.ok
    steps = {s.name: s for s in report.steps}
    assert steps["database"].ok
    assert not steps["toolkit"].ok and "toolkit.json" in steps["toolkit"].detail
    assert not steps["visit"].ok and steps["visit"].detail.startswith("not run")
    assert not steps["report"].ok
    assert steps["keyring"].ok  # later steps still run and report
    assert "FAILED: toolkit, visit, report" in report.text()


def test_a_damaged_toolkit_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(ROOT / "resources", bundle / "resources")
    (bundle / "resources" / "toolkit" / "toolkit.json").write_text("{ not json", encoding="utf-8")
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    report = run_self_check(window=False)
    toolkit = report.step("toolkit")
    assert toolkit is not None and not toolkit.ok and "toolkit.json" in toolkit.detail


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "local.sqlite").write_bytes(b"someone's records")
    report = run_self_check(window=False, data_dir=tmp_path)
    assert not report.ok
    assert "not empty" in report.step("data folder").detail
    assert (tmp_path / "local.sqlite").read_bytes() == b"someone's records"
    assert report.step("database").detail.startswith("not run")


def test_cli_self_check_json_and_exit_code(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["self-check", "--json", "--no-window"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert [s["name"] for s in report["steps"]] == QT_FREE
    assert list(data_dir.iterdir()) == [], "self-check must not write to the user's data folder"


def test_cli_self_check_text_and_failure_exit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["self-check", "--no-window"]) == 0
    out = capsys.readouterr().out
    assert "self-check (from source" in out and "all checks passed" in out
    bundle = tmp_path / "bundle"
    shutil.copytree(ROOT / "resources", bundle / "resources")
    (bundle / "resources" / "toolkit" / "toolkit.json").unlink()
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert main(["self-check", "--no-window"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_icons_are_generated_from_the_pngs(tmp_path: Path) -> None:
    pytest.importorskip("PIL")
    sys.path.insert(0, str(ROOT / "installers"))
    try:
        import build_icons
    finally:
        sys.path.pop(0)
    if not build_icons.png_sizes():
        pytest.fail("resources/icons has no app-<size>.png files")
    made = build_icons.build_icons(tmp_path)
    from PIL import Image

    with Image.open(made["ico"]) as ico:
        assert {(16, 16), (32, 32), (256, 256)} <= set(ico.info["sizes"])
    with Image.open(made["icns"]) as icns:
        assert icns.format == "ICNS" and icns.size[0] >= 512
    with pytest.raises(build_icons.IconError, match="No app-<size>.png"):
        build_icons.build_icons(tmp_path / "out", icon_dir=tmp_path / "empty")


def test_deb_version_orders_prereleases_before_releases() -> None:
    sys.path.insert(0, str(ROOT / "installers" / "linux"))
    try:
        import build_deb
    finally:
        sys.path.pop(0)
    assert build_deb.read_version() == __version__
    assert build_deb.deb_version("1.2.0") == "1.2.0"
    assert build_deb.deb_version("1.2.0rc1") == "1.2.0~rc1"
    assert build_deb.deb_version("1.2.0b2") == "1.2.0~b2"
    with pytest.raises(build_deb.PackageError, match="No bundle"):
        build_deb.build_deb(Path("/nonexistent-bundle"), Path("/tmp"))

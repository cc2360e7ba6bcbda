"""The frozen app, as facilitators get it: build the bundle with build.spec, run `self-check` in it
offscreen, check what went in and what was left out, then package the .deb, unpack it and run the
self-check again from the unpacked tree. Slow (PyInstaller takes 1-2 minutes)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from facilitator_app import __version__

from .conftest import APP, ROOT, FrozenBuild, frozen_env

pytestmark = pytest.mark.slow

SIZE_TARGET_BYTES = 150_000_000
LEFT_OUT = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg", "argon2", "hypothesis",
            "pytest", "_pytest", "schemathesis", "httpx", "pypdf", "keyrings", "tests", "facilitator_app.server",
            "PyInstaller", "tkinter", "mypy")
LINUX_PLUGINS = {"platforms", "platformthemes", "platforminputcontexts", "iconengines", "imageformats",
                 "xcbglintegrations", "wayland-shell-integration", "wayland-decoration-client"}


def run_self_check(exe: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[dict, float]:
    start = time.perf_counter()
    done = subprocess.run([str(exe), "self-check", "--json", *extra], capture_output=True, text=True,
                          env=env or frozen_env(), timeout=120)
    seconds = time.perf_counter() - start
    assert done.returncode == 0, f"self-check failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout), seconds


def assert_all_ok(report: dict, bundle: Path) -> None:
    assert report["frozen"] is True
    assert report["version"] == __version__
    assert Path(report["resources"]).resolve().is_relative_to(bundle.resolve())
    names = [s["name"] for s in report["steps"]]
    assert names == ["data folder", "database", "toolkit", "visit", "report", "window", "keyring"]
    assert all(s["ok"] for s in report["steps"]), report["steps"]
    assert not Path(report["data_dir"]).exists(), "the temporary data folder was left behind"


def test_frozen_self_check_passes_offscreen(frozen_build: FrozenBuild) -> None:
    report, seconds = run_self_check(frozen_build.exe)
    assert_all_ok(report, frozen_build.bundle)
    assert "35 strategies" in next(s["detail"] for s in report["steps"] if s["name"] == "toolkit")
    assert "platform offscreen" in next(s["detail"] for s in report["steps"] if s["name"] == "window")
    print(f"\nfrozen self-check: {seconds:.2f} s wall (checks {report['seconds']:.2f} s)")

    text = subprocess.run([str(frozen_build.exe), "self-check"], capture_output=True, text=True,
                          env=frozen_env(), timeout=120)
    assert text.returncode == 0, text.stderr
    assert "all checks passed" in text.stdout and "installed app" in text.stdout


def test_frozen_version_comes_from_the_package(frozen_build: FrozenBuild) -> None:
    done = subprocess.run([str(frozen_build.exe), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout.strip() == f"{APP} {__version__}"


def test_frozen_self_check_fails_loudly_when_a_resource_is_missing(frozen_build: FrozenBuild,
                                                                  tmp_path: Path) -> None:
    """A damaged installation must say what is broken and exit 1, not crash or pass."""
    broken = tmp_path / APP
    shutil.copytree(frozen_build.bundle, broken, symlinks=True)
    (broken / "_internal" / "resources" / "toolkit" / "toolkit.json").unlink()
    done = subprocess.run([str(broken / APP), "self-check", "--json", "--no-window"], capture_output=True,
                          text=True, env=frozen_env(), timeout=120)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    steps = {s["name"]: s for s in report["steps"]}
    assert not steps["toolkit"]["ok"] and "Toolkit file not found" in steps["toolkit"]["detail"]
    assert steps["database"]["ok"] and not steps["visit"]["ok"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux bundle layout")
def test_bundle_is_trimmed_and_complete(frozen_build: FrozenBuild) -> None:
    bundle = frozen_build.bundle
    size = sum(p.lstat().st_size for p in bundle.rglob("*") if p.is_file() or p.is_symlink())
    print(f"\nbundle: {size / 1e6:.1f} MB unpacked")
    assert size <= SIZE_TARGET_BYTES, f"the bundle is {size / 1e6:.1f} MB, over the 150 MB target"

    internal = bundle / "_internal"
    for rel in ("resources/toolkit/toolkit.json", "resources/fonts/DejaVuSans.ttf", "resources/icons/app.svg",
                "resources/icons/app-256.png", "resources/styles/app.qss"):
        assert (internal / rel).is_file(), f"{rel} is missing from the bundle"
    assert list(internal.glob("keyring-*.dist-info/entry_points.txt")), "keyring's backend entry points are missing"

    plugins = internal / "PySide6" / "Qt" / "plugins"
    assert {p.name for p in plugins.iterdir()} <= LINUX_PLUGINS
    platforms = {re.sub(r"^lib|\.so$", "", p.name) for p in (plugins / "platforms").iterdir()}
    assert platforms == {"qoffscreen", "qminimal", "qxcb", "qwayland"}
    assert {p.name for p in (plugins / "imageformats").iterdir()} >= {"libqsvg.so"}
    assert (plugins / "iconengines" / "libqsvgicon.so").exists()
    qt_libs = {m.group(1) for p in internal.rglob("libQt6*") if (m := re.match(r"libQt6(\w+?)\.so", p.name))}
    assert qt_libs <= {"Core", "Gui", "Widgets", "Svg", "DBus", "XcbQpa", "WaylandClient"}, qt_libs
    assert not list(internal.rglob("*.qm")), "Qt translations should be left out"
    assert not list(internal.rglob("libgtk-3*")), "GTK came in through the GTK theme plugin"

    if frozen_build.workpath is not None:  # the Python modules frozen into the app
        from PyInstaller.archive.readers import ZlibArchiveReader

        archives = list(frozen_build.workpath.rglob("PYZ-00.pyz"))
        assert archives, "PyInstaller's module archive was not found"
        modules = set(ZlibArchiveReader(str(archives[0])).toc)
        for name in LEFT_OUT:
            leaked = sorted(m for m in modules if m == name or m.startswith(name + "."))
            assert not leaked, f"{name} should not be in the app: {leaked[:5]}"
        for needed in ("keyring.backends.SecretService", "keyring.backends.kwallet", "secretstorage",
                       "facilitator_app.selfcheck", "facilitator_app.ui.app", "facilitator_app.ui.window_check",
                       "facilitator_app.commands.selfcheck"):
            assert needed in modules, f"{needed} is missing from the app"


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("dpkg-deb") is None,
                    reason="the .deb is built with dpkg-deb on Debian/Ubuntu")
def test_deb_unpacks_and_runs(frozen_build: FrozenBuild, tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "installers" / "linux"))
    try:
        import build_deb
    finally:
        sys.path.pop(0)
    start = time.perf_counter()
    deb = build_deb.build_deb(frozen_build.bundle, tmp_path / "out", compression="gzip", level=1)
    print(f"\n.deb built in {time.perf_counter() - start:.1f} s: {deb.name}, {deb.stat().st_size / 1e6:.1f} MB")

    info = subprocess.run(["dpkg-deb", "--field", str(deb), "Package", "Version", "Depends", "Installed-Size"],
                          capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(": ", 1) for line in info.strip().splitlines())
    assert fields["Package"] == "facilitator-field-kit"
    assert fields["Version"] == build_deb.deb_version(__version__)
    assert "libgl1" in fields["Depends"] and "libdbus-1-3" in fields["Depends"]

    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    link = root / "usr" / "bin" / APP
    assert link.is_symlink() and str(link.readlink()) == f"/opt/facilitator-field-kit/{APP}"
    desktop = (root / "usr" / "share" / "applications" / "facilitator-field-kit.desktop").read_text()
    assert re.search(r"^Exec=facilitator-app$", desktop, re.M)
    assert re.search(r"^Icon=facilitator-field-kit$", desktop, re.M)
    assert (root / "usr/share/icons/hicolor/256x256/apps/facilitator-field-kit.png").is_file()
    assert (root / "usr/share/icons/hicolor/scalable/apps/facilitator-field-kit.svg").is_file()
    if shutil.which("desktop-file-validate"):
        desktop_file = root / "usr/share/applications/facilitator-field-kit.desktop"
        check = subprocess.run(["desktop-file-validate", str(desktop_file)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr

    installed = root / "opt" / "facilitator-field-kit"
    report, seconds = run_self_check(installed / APP)
    assert_all_ok(report, installed)
    print(f"self-check from the unpacked .deb: {seconds:.2f} s")


def _missing_xcb_libraries() -> list[str]:
    """Qt's X11 plugin needs these; the bundle carries them only if the build machine had them."""
    if shutil.which("ldconfig") is None and not Path("/sbin/ldconfig").exists():
        return []
    listing = subprocess.run([shutil.which("ldconfig") or "/sbin/ldconfig", "-p"], capture_output=True,
                             text=True).stdout
    return [lib for lib in ("libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0") if lib not in listing]


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("xvfb-run") is None,
                    reason="needs xvfb-run (apt install xvfb)")
def test_frozen_window_on_x11(frozen_build: FrozenBuild) -> None:
    """The xcb plugin and the libraries it needs made it into the bundle: draw on a real X server."""
    missing = _missing_xcb_libraries()
    if missing:
        pytest.skip(f"this machine lacks {', '.join(missing)}: apt install libxcb-icccm4 libxcb-keysyms1 "
                    "libxcb-cursor0, then rebuild")
    env = frozen_env(QT_QPA_PLATFORM="xcb")
    done = subprocess.run(["xvfb-run", "-a", str(frozen_build.exe), "self-check", "--json"], capture_output=True,
                          text=True, env=env, timeout=180)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    report = json.loads(done.stdout)
    window = next(s for s in report["steps"] if s["name"] == "window")
    assert window["ok"] and "platform xcb" in window["detail"], window

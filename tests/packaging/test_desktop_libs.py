"""installers/linux/check_desktop_libs.py, which `make run` runs before opening the window: it must
name the Debian packages for libraries Qt's X11 plugin cannot load, and stay silent otherwise."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "installers" / "linux" / "check_desktop_libs.py"

linux_with_ldd = pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("ldd") is None,
                                    reason="the check is for Linux, where ldd comes with the C library")


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_desktop_libs", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = _load()

LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007ffd5f3f2000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f0a1c000000)
\tlibxcb-shape.so.0 => not found
\tlibglib-2.0.so.0 => not found
\tlibxcb-shape.so.0 => not found
\tlibfancy.so.3 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0a1ba00000)
"""


def test_missing_libraries_become_one_apt_command() -> None:
    missing = check.missing_libraries(LDD_OUTPUT)
    assert missing == ["libxcb-shape.so.0", "libglib-2.0.so.0", "libfancy.so.3"]
    text = check.advice(missing)
    assert "sudo apt-get install -y libglib2.0-0 libxcb-shape0\n" in text
    assert "libfancy.so.3 with `apt-file search NAME`" in text  # no package invented for it


def test_qt_platform_decides_whether_x11_is_needed() -> None:
    assert check.wants_xcb({})
    assert check.wants_xcb({"QT_QPA_PLATFORM": "xcb"})
    assert check.wants_xcb({"QT_QPA_PLATFORM": "xcb;wayland"})
    assert not check.wants_xcb({"QT_QPA_PLATFORM": "offscreen"})
    assert not check.wants_xcb({"QT_QPA_PLATFORM": "wayland;xcb"})
    assert not check.wants_xcb({"WAYLAND_DISPLAY": "wayland-0"})


@linux_with_ldd
def test_every_system_library_of_the_plugin_has_its_package() -> None:
    """The table covers every library the installed PySide6 plugin takes from the system, so a
    PySide6 upgrade that links something new fails here instead of in front of a user."""
    plugin = check.xcb_plugin()
    assert plugin is not None, "PySide6's libqxcb.so was not found"
    qt_dir = plugin.parents[2]
    linked = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True).stdout
    system = {name for name, path in re.findall(r"^\s*(\S+) => (\S+)", linked, re.MULTILINE)
              if path != "not" and not Path(path).resolve().is_relative_to(qt_dir.resolve())}
    assert system, linked
    assert sorted(system - set(check.PACKAGES)) == []
    assert check.unresolved(plugin) == [], "this machine lacks libraries the GUI tests need"


@linux_with_ldd
def test_real_ldd_reports_a_library_the_plugin_cannot_find(tmp_path: Path) -> None:
    """A copy of the plugin whose needed libxcb-shape is renamed to one that exists nowhere: the
    dynamic linker itself must report it, and the script must print the command and exit 1."""
    plugin = check.xcb_plugin()
    assert plugin is not None
    data = plugin.read_bytes()
    assert b"libxcb-shape.so.0\0" in data
    # Same layout as the wheel, so the plugin's $ORIGIN/../../lib still finds the Qt libraries.
    copy = tmp_path / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    copy.parent.mkdir(parents=True)
    (tmp_path / "Qt" / "lib").symlink_to(plugin.parents[2] / "lib")
    copy.write_bytes(data.replace(b"libxcb-shape.so.0\0", b"libxcb-shapX.so.0\0"))
    assert check.unresolved(copy) == ["libxcb-shapX.so.0"]

    done = subprocess.run([sys.executable, str(SCRIPT), "--plugin", str(copy)], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "libxcb-shapX.so.0" in done.stderr and "apt-file search" in done.stderr


@linux_with_ldd
def test_script_is_silent_and_succeeds_when_nothing_is_missing() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "DISPLAY": ":0"})
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")

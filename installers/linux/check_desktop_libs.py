"""Before `make run` opens the window on Linux: are the system libraries Qt's X11 plugin links there?

Why: without one of them Qt only says it "could not load the Qt platform plugin "xcb"" and
aborts. This asks the dynamic linker (`ldd` on PySide6's libqxcb.so, which follows every
library it needs) and names the Debian/Ubuntu packages to install. Cheap (one `ldd`, no Qt
import), silent when nothing is missing, and it never stops the app for a reason of its own:
off Linux, with another Qt platform chosen, or without `ldd`, it says nothing and exits 0.

    python installers/linux/check_desktop_libs.py [--plugin PATH]   # exit 1 + the apt command if any is missing
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Mapping

# Every system library libqxcb.so loads (directly or through the Qt libraries next to it), by the
# Debian package that ships it. The rest (Qt, ICU) comes with the PySide6 wheel.
PACKAGES = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libbrotlicommon.so.1": "libbrotli1",
    "libbrotlidec.so.1": "libbrotli1",
    "libbsd.so.0": "libbsd0",
    "libc.so.6": "libc6",
    "libcap.so.2": "libcap2",
    "libdbus-1.so.3": "libdbus-1-3",
    "libdl.so.2": "libc6",
    "libexpat.so.1": "libexpat1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libgcc_s.so.1": "libgcc-s1",
    "libgcrypt.so.20": "libgcrypt20",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgpg-error.so.0": "libgpg-error0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "liblz4.so.1": "liblz4-1",
    "liblzma.so.5": "liblzma5",
    "libm.so.6": "libc6",
    "libmd.so.0": "libmd0",
    "libpcre2-8.so.0": "libpcre2-8-0",
    "libpng16.so.16": "libpng16-16",
    "libpthread.so.0": "libc6",
    "libstdc++.so.6": "libstdc++6",
    "libsystemd.so.0": "libsystemd0",
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libz.so.1": "zlib1g",
    "libzstd.so.1": "libzstd1",
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


def xcb_plugin() -> Path | None:
    """PySide6's X11 platform plugin, found without importing Qt."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = Path(list(spec.submodule_search_locations)[0]) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.exists() else None


def missing_libraries(ldd_output: str) -> list[str]:
    """The sonames `ldd` could not resolve, in the order it printed them, each once."""
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def advice(missing: list[str]) -> str:
    """What to tell the user: the missing libraries and the one command that installs them."""
    packages = sorted({PACKAGES[m] for m in missing if m in PACKAGES})
    unknown = [m for m in missing if m not in PACKAGES]
    lines = ["Facilitator Field Kit cannot open its window: this system lacks libraries that Qt needs to",
             f"draw on the screen: {', '.join(missing)}."]
    if packages:
        lines += ["Install them with:", "", f"    sudo apt-get install -y {' '.join(packages)}", ""]
    if unknown:
        lines.append(f"Find the package that ships {', '.join(unknown)} with `apt-file search NAME` "
                     "(or your distribution's package search).")
    lines.append("The commands (facilitator-app --help) work without them.")
    return "\n".join(lines)


def wants_xcb(env: Mapping[str, str]) -> bool:
    """Qt uses the X11 plugin unless another platform is chosen (offscreen, wayland, ...) or, with
    none chosen, the session is Wayland's (Qt then tries its Wayland plugin first)."""
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.split(";")[0].split(":")[0] == "xcb"
    return not env.get("WAYLAND_DISPLAY")


def unresolved(plugin: Path) -> list[str]:
    """What the dynamic linker cannot find for `plugin`; empty when it cannot tell (no `ldd`)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        done = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return missing_libraries(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--plugin", type=Path, help="check this libqxcb.so (e.g. a frozen bundle's) instead of "
                        "the installed PySide6's")
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux") or not (args.plugin or wants_xcb(os.environ)):
        return 0
    plugin = args.plugin or xcb_plugin()
    missing = unresolved(plugin) if plugin else []
    if not missing:
        return 0
    print(advice(missing), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

"""Package the PyInstaller bundle (dist/facilitator-app) as a Debian/Ubuntu .deb.

Why a .deb (not an AppImage): it builds with `dpkg-deb`, which every Debian-family machine has,
without downloading prebuilt tools; facilitators install it by double-clicking (Software
Center) or `sudo apt install ./facilitator-field-kit_X_amd64.deb`. Layout:

    /opt/facilitator-field-kit/                 the bundle, as PyInstaller made it
    /usr/bin/facilitator-app                    a symlink to the bundle's executable
    /usr/share/applications/facilitator-field-kit.desktop
    /usr/share/icons/hicolor/<N>x<N>/apps/facilitator-field-kit.png  (+ scalable SVG)

User data never goes in /opt: the app keeps it in the user's data folder
(~/.local/share/FacilitatorFieldKit), so removing or upgrading the package leaves it alone.

    python installers/linux/build_deb.py [--bundle dist/facilitator-app] [--out dist]
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "facilitator-field-kit"
APP = "facilitator-app"
INSTALL_DIR = Path("opt") / PACKAGE
DESKTOP = Path(__file__).resolve().parent / f"{PACKAGE}.desktop"
# System libraries the bundle uses from the machine: GL/EGL/xcb must match its GPU driver and X
# server (PyInstaller never bundles them), libdbus its D-Bus daemon (build.spec leaves it out),
# and the two xcb utility libraries Qt's X11 plugin needs, in case the build machine lacked them.
DEPENDS = "libc6 (>= 2.31), libgl1, libegl1, libxcb1, libxcb-icccm4, libxcb-keysyms1, libdbus-1-3"


class PackageError(Exception):
    """The package cannot be built; the message says what is missing."""


def read_version() -> str:
    tree = ast.parse((ROOT / "facilitator_app" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__version__" for t in node.targets):
            return str(ast.literal_eval(node.value))
    raise PackageError("facilitator_app/__init__.py has no __version__")


def deb_version(version: str) -> str:
    """PEP 440 pre-releases sort before the release in Debian only with a tilde (1.0~rc1)."""
    return re.sub(r"(\d)(a|b|rc|\.dev)(\d*)$", r"\1~\2\3", version)


def architecture() -> str:
    try:
        return subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True,
                              text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        raise PackageError("dpkg is not available: build the .deb on Debian or Ubuntu") from None


def tree_size_kib(root: Path) -> int:
    return sum((p.lstat().st_size for p in root.rglob("*") if p.is_file() or p.is_symlink()), 0) // 1024 + 1


def stage(bundle: Path, staging: Path, version: str, arch: str) -> None:
    """Lay out the package tree under `staging`."""
    target = staging / INSTALL_DIR
    shutil.copytree(bundle, target, symlinks=True)
    bin_dir = staging / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / APP).symlink_to(Path("/") / INSTALL_DIR / APP)
    apps = staging / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    shutil.copy2(DESKTOP, apps / DESKTOP.name)
    icons = ROOT / "resources" / "icons"
    hicolor = staging / "usr" / "share" / "icons" / "hicolor"
    for png in sorted(icons.glob("app-*.png")):
        size = png.stem.split("-", 1)[1]
        dest = hicolor / f"{size}x{size}" / "apps"
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy2(png, dest / f"{PACKAGE}.png")
    if (icons / "app.svg").exists():
        dest = hicolor / "scalable" / "apps"
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy2(icons / "app.svg", dest / f"{PACKAGE}.svg")
    debian = staging / "DEBIAN"
    debian.mkdir()
    size = tree_size_kib(staging)
    (debian / "control").write_text(
        f"Package: {PACKAGE}\n"
        f"Version: {deb_version(version)}\n"
        f"Architecture: {arch}\n"
        "Maintainer: Facilitator Field Kit maintainers <noreply@facilitatorfieldkit.org>\n"
        f"Installed-Size: {size}\n"
        f"Depends: {DEPENDS}\n"
        "Section: misc\n"
        "Priority: optional\n"
        "Homepage: https://github.com/facilitator-field-kit\n"
        "Description: Offline field kit for primary-care practice facilitators\n"
        " Log practice visits, keep the 35-strategy ABCS checklists and quarterly measures,\n"
        " print leave-behind summaries, and sync with your cooperative's server when online.\n",
        encoding="utf-8")
    # Refresh the desktop menu and icon caches; failure there must never fail the install.
    script = ("#!/bin/sh\nset -e\n"
              "if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q "
              "/usr/share/applications || true; fi\n"
              "if command -v gtk-update-icon-cache >/dev/null 2>&1; then gtk-update-icon-cache -q -t "
              "/usr/share/icons/hicolor || true; fi\n"
              "exit 0\n")
    for name in ("postinst", "postrm"):
        path = debian / name
        path.write_text(script, encoding="utf-8")
        path.chmod(0o755)
    for path in [staging, *staging.rglob("*")]:  # dpkg wants sane modes (no group/other writes)
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~0o022)


def build_deb(bundle: Path, out_dir: Path, *, compression: str = "xz", level: int | None = None) -> Path:
    bundle = Path(bundle)
    if not (bundle / APP).is_file():
        raise PackageError(f"No bundle at {bundle}: build it first (.venv/bin/pyinstaller build.spec)")
    if shutil.which("dpkg-deb") is None:
        raise PackageError("dpkg-deb is not available: build the .deb on Debian or Ubuntu")
    version, arch = read_version(), architecture()
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{PACKAGE}_{deb_version(version)}_{arch}.deb"
    with tempfile.TemporaryDirectory(prefix="ffk-deb-") as tmp:
        staging = Path(tmp) / "root"
        staging.mkdir()
        stage(bundle, staging, version, arch)
        cmd = ["dpkg-deb", "--root-owner-group", f"-Z{compression}", *([f"-z{level}"] if level is not None else []),
               "--build", str(staging), str(out)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise PackageError(f"dpkg-deb failed: {done.stderr.strip() or done.stdout.strip()}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the .deb from the PyInstaller bundle")
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / APP)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--compression", default=os.environ.get("FFK_DEB_COMPRESSION", "xz"),
                        choices=["xz", "gzip", "zstd", "none"],
                        help="xz is smallest (~45 MB, slow to build); gzip -z1 is fast (used by the test)")
    parser.add_argument("--level", type=int, choices=range(0, 10), metavar="0-9", help="compression level")
    args = parser.parse_args(argv)
    try:
        out = build_deb(args.bundle, args.out, compression=args.compression, level=args.level)
    except PackageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

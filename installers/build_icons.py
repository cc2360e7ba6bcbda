"""Make the Windows .ico and macOS .icns from the app icon's PNG sizes in resources/icons.

Why generated, not committed: the PNGs (rendered from app.svg) are the one source; the
installer formats are derived at build time, so the icon can never drift between platforms.
Needs Pillow (a build-time tool only; the app itself does not ship it).

    python installers/build_icons.py [--out build/icons]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
NAME = "facilitator-app"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


class IconError(Exception):
    """The icons cannot be made; the message says what to install or draw."""


def png_sizes(icon_dir: Path = ICONS) -> dict[int, Path]:
    """The square PNGs named app-<size>.png, by size."""
    found = {}
    for path in icon_dir.glob("app-*.png"):
        m = re.fullmatch(r"app-(\d+)\.png", path.name)
        if m:
            found[int(m.group(1))] = path
    return dict(sorted(found.items()))


def _image_for(size: int, sources: dict[int, Path]):
    """The exact PNG when drawn at that size, else the next larger one scaled down (never up
    when a larger one exists, so small sizes stay crisp)."""
    from PIL import Image

    exact = sources.get(size)
    if exact:
        return Image.open(exact).convert("RGBA")
    larger = [s for s in sources if s > size]
    pick = sources[min(larger)] if larger else sources[max(sources)]
    return Image.open(pick).convert("RGBA").resize((size, size), Image.LANCZOS)


def build_icons(out_dir: Path, icon_dir: Path = ICONS) -> dict[str, Path]:
    try:
        import PIL  # noqa: F401
    except ImportError:
        raise IconError("Pillow is needed to make the .ico and .icns icons: .venv/bin/pip install pillow") from None
    sources = png_sizes(icon_dir)
    if not sources:
        raise IconError(f"No app-<size>.png icons in {icon_dir}; render them from app.svg first "
                        "(python -m facilitator_app.ui.icons)")
    out_dir.mkdir(parents=True, exist_ok=True)
    ico = out_dir / f"{NAME}.ico"
    biggest = _image_for(max(ICO_SIZES), sources)
    # Pillow writes every requested size into the .ico from the largest image; the small ones
    # are appended from their own PNGs when we have them drawn at that size.
    extra = [_image_for(s, sources) for s in ICO_SIZES if s != max(ICO_SIZES)]
    biggest.save(ico, format="ICO", sizes=[(s, s) for s in ICO_SIZES], append_images=extra)
    icns = out_dir / f"{NAME}.icns"
    top = _image_for(max(ICNS_SIZES), sources)
    top.save(icns, format="ICNS", append_images=[_image_for(s, sources) for s in ICNS_SIZES[:-1]])
    png = out_dir / f"{NAME}.png"
    _image_for(256, sources).save(png, format="PNG")
    return {"ico": ico, "icns": icns, "png": png}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "icons", help="folder for the icon files")
    args = parser.parse_args(argv)
    try:
        made = build_icons(args.out)
    except IconError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for kind, path in made.items():
        print(f"{kind}: {path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The app icon: drawn once as SVG, with PNG sizes rendered from it for high-DPI screens and
installers (`python -m facilitator_app.ui.icons` regenerates them)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPainter

from ..paths import resource

PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)


def icon_dir() -> Path:
    return resource("icons")


def app_icon() -> QIcon:
    icon = QIcon()
    for size in PNG_SIZES:
        png = icon_dir() / f"app-{size}.png"
        if png.exists():
            icon.addFile(str(png), QSize(size, size))
    if icon.isNull() and (icon_dir() / "app.svg").exists():
        icon.addFile(str(icon_dir() / "app.svg"))
    return icon


def render_pngs(svg: Path | None = None, out_dir: Path | None = None) -> list[Path]:
    """Render app.svg to app-<size>.png. Needs a QGuiApplication (offscreen is fine)."""
    from PySide6.QtSvg import QSvgRenderer

    svg = svg or icon_dir() / "app.svg"
    out_dir = out_dir or icon_dir()
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG file")
    written = []
    for size in PNG_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        path = out_dir / f"app-{size}.png"
        if not image.save(str(path)):
            raise OSError(f"could not write {path}")
        written.append(path)
    return written


if __name__ == "__main__":
    import os
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication
    app = QGuiApplication(sys.argv)
    for p in render_pngs():
        print(p)

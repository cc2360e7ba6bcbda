"""The Unicode TrueType family every report uses, loaded from the shipped `resources/fonts`.

Why a shipped TTF: reportlab's built-in PDF fonts cover Latin-1 only and are never embedded, so
"Nguyễn Thị Ánh" or "Łukasz" would print as boxes, and the look would depend on the viewer.
DejaVu Sans covers the names our practices have and is embedded (subset) in every PDF.
"""

from __future__ import annotations

import threading

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from ..core.errors import FieldKitError
from ..paths import resource

REGULAR = "FFKSans"
BOLD = "FFKSans-Bold"
ITALIC = "FFKSans-Oblique"
FAMILY = REGULAR

_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf", ITALIC: "DejaVuSans-Oblique.ttf"}
_lock = threading.Lock()
_registered = False


class FontError(FieldKitError):
    """The report font is missing or damaged in this installation."""


def register_fonts() -> None:
    """Register the family once per process (reportlab's font registry is global)."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for name, filename in _FILES.items():
            path = resource("fonts", filename)
            try:
                pdfmetrics.registerFont(TTFont(name, str(path)))
            except (OSError, TTFError) as exc:
                raise FontError(f"The report font {path} is missing or damaged ({exc}). "
                                "Reinstall the app to restore it.") from None
        # <b> and <i> inside Paragraph markup pick the right face of the family.
        addMapping(FAMILY, 0, 0, REGULAR)
        addMapping(FAMILY, 1, 0, BOLD)
        addMapping(FAMILY, 0, 1, ITALIC)
        addMapping(FAMILY, 1, 1, BOLD)
        _registered = True

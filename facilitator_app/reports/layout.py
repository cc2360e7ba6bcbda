"""Page templates: margins, the "Page X of Y" footer, and writing the finished file safely.

Why a two-pass canvas: the total page count is only known once the story has flowed, so each
page is kept in memory and the footers are drawn at save time. One layout pass is faster than
building the document twice.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from .. import __version__
from ..core.errors import FieldKitError
from .fonts import REGULAR, register_fonts
from .styles import MUTED, RULE

PAGE_SIZES: dict[str, tuple[float, float]] = {"letter": LETTER, "a4": A4}
MARGIN_X = 0.7 * inch
MARGIN_TOP = 0.6 * inch
MARGIN_BOTTOM = 0.85 * inch
FOOTER_SIZE = 8.5


class ReportError(FieldKitError):
    """The report could not be made or saved; the message says what to do."""


def page_size(name: str) -> tuple[float, float]:
    try:
        return PAGE_SIZES[(name or "letter").strip().lower()]
    except KeyError:
        raise ReportError(f"Page size {name!r} is not available; choose letter or a4.") from None


@dataclass(frozen=True)
class Footer:
    """Left: what this is; second line: when it was generated and from which toolkit."""

    label: str
    note: str


def _fit(text: str, width: float, size: float) -> str:
    """Shorten `text` with an ellipsis so a long practice name never runs into the page number."""
    if stringWidth(text, REGULAR, size) <= width:
        return text
    while text and stringWidth(text + "…", REGULAR, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _canvas_class(footer: Footer) -> type[Canvas]:
    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            if not kwargs.get("initialFontName"):
                kwargs["initialFontName"] = REGULAR  # no unembedded Helvetica in the file
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                self._draw_footer(number, total)
                Canvas.showPage(self)
            self.page_total = total
            Canvas.save(self)

        def _draw_footer(self, number: int, total: int) -> None:
            width, _ = self._pagesize
            y = MARGIN_BOTTOM - 0.42 * inch
            self.saveState()
            self.setStrokeColor(RULE)
            self.setLineWidth(0.6)
            self.line(MARGIN_X, y + 14, width - MARGIN_X, y + 14)
            self.setFillColor(MUTED)
            self.setFont(REGULAR, FOOTER_SIZE)
            right = f"Page {number} of {total}"
            self.drawRightString(width - MARGIN_X, y, right)
            room = width - 2 * MARGIN_X - stringWidth(right, REGULAR, FOOTER_SIZE) - 18
            self.drawString(MARGIN_X, y, _fit(footer.label, room, FOOTER_SIZE))
            self.drawString(MARGIN_X, y - 11, _fit(footer.note, room, FOOTER_SIZE))
            self.restoreState()

    return NumberedCanvas


@dataclass(frozen=True)
class Rendered:
    """A finished PDF in memory."""

    pdf: bytes
    pages: int


def build_pdf(story: list[Flowable], *, size: str, title: str, subject: str, author: str,
              footer: Footer) -> Rendered:
    register_fonts()
    buffer = io.BytesIO()
    pagesize = page_size(size)
    doc = BaseDocTemplate(buffer, pagesize=pagesize, leftMargin=MARGIN_X, rightMargin=MARGIN_X,
                          topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM, title=title, subject=subject,
                          author=author, initialFontName=REGULAR, creator=f"Facilitator Field Kit {__version__}")
    frame = Frame(MARGIN_X, MARGIN_BOTTOM, pagesize[0] - 2 * MARGIN_X, pagesize[1] - MARGIN_TOP - MARGIN_BOTTOM,
                  id="body", leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    canvas_cls = _canvas_class(footer)
    pages: list[int] = []

    def maker(*args, **kwargs) -> Canvas:
        canvas = canvas_cls(*args, **kwargs)
        original = canvas.save

        def save() -> None:
            original()
            pages.append(canvas.page_total)
        canvas.save = save
        return canvas

    doc.build(story, canvasmaker=maker)
    return Rendered(buffer.getvalue(), pages[-1] if pages else 0)


def frame_width(size: str) -> float:
    return page_size(size)[0] - 2 * MARGIN_X


def write_pdf(pdf: bytes, path: Path | str) -> Path:
    """Write the file whole or not at all: a temp file beside it, then an atomic rename."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise ReportError(f"{path} is a folder; give a file name such as {path / 'summary.pdf'}.")
    folder = path.parent if str(path.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise ReportError(f"Cannot save the report: {folder} is a file, not a folder. "
                          "Choose another place with -o.")
    if not folder.is_dir():
        raise ReportError(f"Cannot save the report: the folder {folder} does not exist. "
                          "Create it or choose another place with -o.")
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pdf)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
    except PermissionError:
        raise ReportError(f"Cannot save the report to {path}: permission denied. "
                          "Choose a folder you can write to (for example your Documents folder).") from None
    except OSError as exc:
        raise ReportError(f"Cannot save the report to {path}: {exc.strerror or exc}. "
                          "Choose another place (a folder you can write to, on a disk with free space).") from None
    finally:
        if tmp_name:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
    return path


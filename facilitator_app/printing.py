"""Send a finished PDF to one of the computer's printers, through the operating system.

Why here and not in Qt: the app's PySide6-Essentials has no QtPdf, so QPrinter cannot print a
PDF file; the operating system can. On Linux and macOS that is CUPS: `lpstat -e` / `lpstat -d`
list the queues and the default one, `lp -d QUEUE -n COPIES -t TITLE file.pdf` queues the job
and prints its id. Windows has no `lp`: there the PDF goes to the program registered to print
PDFs (ShellExecute "print" / "printto", i.e. `os.startfile`); that path is small, untested on
this project's Linux CI, and gives no job id.

Every failure is a `PrintError` whose message says what the facilitator can do about it. No Qt
here: the GUI calls these on a worker thread (ui/printing.py), the tests call them directly.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .core.errors import FieldKitError, FieldProblem, ValidationError

MAX_COPIES = 99
TIMEOUT_S = 30
_JOB_ID = re.compile(r"request id is (\S+)")
_DEFAULT = re.compile(r"system default destination:\s*(\S+)")
SAVE_INSTEAD = "You can still use Save PDF… and print the file from another computer."


class PrintError(FieldKitError):
    """The PDF was not sent to a printer; the message says why and what to do."""


class PrintingUnavailable(PrintError):
    """No printing system on this computer (no CUPS `lp`; on Windows, no program that prints PDFs)."""


class PrintServiceDown(PrintError):
    """CUPS is installed but its scheduler is not running or does not answer."""


class NoPrinterError(PrintError):
    """No printer is set up, or none was chosen and there is no default printer."""


class PrinterNotFound(PrintError):
    """The chosen printer is no longer set up on this computer."""


class PrintRefused(PrintError):
    """The printing system refused the job; `detail` is its own message (e.g. lp's)."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.detail = detail


@dataclass(frozen=True)
class Printers:
    """The printers set up on this computer, and the default one (None when none is set)."""

    names: tuple[str, ...]
    default: str | None


@dataclass(frozen=True)
class PrintJob:
    """A job the printing system accepted. `job_id` is CUPS's id (e.g. "Office-42"); None on
    Windows, where the shell gives none."""

    printer: str
    copies: int
    job_id: str | None


def list_printers() -> Printers:
    """The printers and the default one. Raises NoPrinterError when there is none to print on."""
    if sys.platform == "win32":
        printers = _windows_printers()
    else:
        out = _run(["lpstat", "-e"]).stdout
        names = tuple(line.strip() for line in out.splitlines() if line.strip())
        if not names:
            _raise_if_scheduler_down()
            raise NoPrinterError("No printer is set up on this computer. Add one in your system's printer "
                                 "settings, then try again. " + SAVE_INSTEAD)
        match = _DEFAULT.search(_run(["lpstat", "-d"]).stdout)
        default = match.group(1) if match else None
        printers = Printers(names, default if default in names else None)
    if not printers.names:
        raise NoPrinterError("No printer is set up on this computer. Add one in Windows Settings > Printers, "
                             "then try again. " + SAVE_INSTEAD)
    return printers


def print_pdf(path: Path | str, *, printer: str | None = None, copies: int = 1, title: str = "") -> PrintJob:
    """Queue `path` (an existing PDF) on `printer` (None: the default printer), `copies` times.

    Returns once the printing system has the job (CUPS has then copied the file: it may be
    deleted); raises a PrintError otherwise.
    """
    path = Path(path).expanduser().resolve()
    if not isinstance(copies, int) or not 1 <= copies <= MAX_COPIES:
        raise ValidationError([FieldProblem("copies", f"Copies must be a whole number from 1 to {MAX_COPIES}.")])
    if not path.is_file():
        raise PrintError(f"The PDF to print is missing ({path}). Make it again, then print.")
    if sys.platform == "win32":
        return _windows_print(path, printer, copies)
    args = ["lp", "-n", str(copies)]
    if printer:
        args += ["-d", printer]
    if title:
        args += ["-t", title]
    done = _run(args + ["--", str(path)])
    if done.returncode != 0:
        _raise_lp_error(done.stderr or done.stdout, printer)
    match = _JOB_ID.search(done.stdout)
    job_id = match.group(1) if match else None
    return PrintJob(printer or _queue_of(job_id) or "default printer", copies, job_id)


# -- CUPS -----------------------------------------------------------------------------------


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a CUPS client program with English messages (they are matched below)."""
    env = dict(os.environ, LC_ALL="C", LANG="C")
    try:
        return subprocess.run(args, capture_output=True, text=True, encoding="utf-8", errors="replace",
                              check=False, env=env, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise PrintingUnavailable(
            f"No printing system was found on this computer (the CUPS program '{args[0]}' is missing). "
            "Install CUPS (on Debian or Ubuntu: sudo apt install cups), set up a printer, then try again. "
            + SAVE_INSTEAD) from None
    except subprocess.TimeoutExpired:
        raise PrintServiceDown(f"The printing service did not answer within {TIMEOUT_S} seconds. "
                               "Check that the printer server is reachable, then try again.") from None


def _raise_if_scheduler_down() -> None:
    if "not running" in _run(["lpstat", "-r"]).stdout:
        raise PrintServiceDown("The printing service (CUPS) is not running, or its server cannot be reached. "
                               "Start it (on Linux: sudo systemctl start cups) or restart the computer, "
                               "then try again.")


def _raise_lp_error(output: str, printer: str | None) -> None:
    detail = _strip_prefix(output)
    lowered = detail.lower()
    if "no default destination" in lowered:
        _raise_if_scheduler_down()
        raise NoPrinterError("No printer was chosen and this computer has no default printer. Choose a "
                             "printer, or set a default one in your system's printer settings.")
    if "does not exist" in lowered:
        _raise_if_scheduler_down()
        raise PrinterNotFound(f'The printer "{printer}" is not set up on this computer (any more). '
                              "Choose another printer.")
    if "scheduler is not running" in lowered or "unable to connect" in lowered:
        raise PrintServiceDown("The printing service (CUPS) is not running or cannot be reached. Start it "
                               "(on Linux: sudo systemctl start cups), then try again.")
    reason = _refusal_reason(printer) if "not accepting" in lowered else ""
    name = f'The printer "{printer}"' if printer else "The default printer"
    raise PrintRefused(f"{name} refused the job: {detail}{' (' + reason + ')' if reason else ''}. "
                       "Check the printer, or choose another one.", detail)


def _strip_prefix(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    text = " ".join(lines) or "no reason given"
    return re.sub(r"^lp:\s*(Error\s*-\s*)?", "", text).rstrip(".")


def _refusal_reason(printer: str | None) -> str:
    """The reason an administrator gave when the queue was set to reject jobs (second line of `lpstat -a`)."""
    if not printer:
        return ""
    lines = _run(["lpstat", "-a", printer]).stdout.splitlines()
    return " ".join(line.strip() for line in lines[1:] if line.strip())


def _queue_of(job_id: str | None) -> str | None:
    return job_id.rsplit("-", 1)[0] if job_id and "-" in job_id else None


# -- Windows (not testable on this project's Linux CI: keep it small) -------------------------


def _windows_printers() -> Printers:  # pragma: no cover - Windows only
    """EnumPrintersW (local and connected printers) and GetDefaultPrinterW, through ctypes."""
    if sys.platform != "win32":  # also tells type checkers on other systems to skip the rest
        raise OSError("Windows printers can only be listed on Windows.")
    import ctypes
    from ctypes import wintypes

    class PrinterInfo4(ctypes.Structure):
        _fields_ = [("pPrinterName", wintypes.LPWSTR), ("pServerName", wintypes.LPWSTR),
                    ("Attributes", wintypes.DWORD)]

    winspool = ctypes.WinDLL("winspool.drv")
    flags = 0x2 | 0x4  # PRINTER_ENUM_LOCAL | PRINTER_ENUM_CONNECTIONS
    needed, count = wintypes.DWORD(), wintypes.DWORD()
    winspool.EnumPrintersW(flags, None, 4, None, 0, ctypes.byref(needed), ctypes.byref(count))
    buffer = ctypes.create_string_buffer(max(needed.value, 1))
    if not winspool.EnumPrintersW(flags, None, 4, buffer, needed, ctypes.byref(needed), ctypes.byref(count)):
        raise PrintServiceDown("Windows could not list the printers (is the Print Spooler service running?).")
    infos = ctypes.cast(buffer, ctypes.POINTER(PrinterInfo4 * count.value)).contents
    names = tuple(info.pPrinterName for info in infos)
    size = wintypes.DWORD(0)
    winspool.GetDefaultPrinterW(None, ctypes.byref(size))
    default_buffer = ctypes.create_unicode_buffer(max(size.value, 1))
    default = default_buffer.value if winspool.GetDefaultPrinterW(default_buffer, ctypes.byref(size)) else None
    return Printers(names, default if default in names else None)


def _windows_print(path: Path, printer: str | None, copies: int) -> PrintJob:  # pragma: no cover - Windows only
    """The PDF program's own "printto" (a chosen printer) or "print" (the default) verb, once per copy."""
    default = _windows_printers().default
    try:
        for _ in range(copies):
            if printer and printer != default:
                os.startfile(str(path), "printto", f'"{printer}"')  # type: ignore[attr-defined]
            else:
                os.startfile(str(path), "print")  # type: ignore[attr-defined]
    except OSError as exc:
        raise PrintingUnavailable(
            "No program on this computer can print PDF files to that printer. Install a PDF reader "
            "(for example Adobe Acrobat Reader), or choose the default printer. " + SAVE_INSTEAD) from exc
    return PrintJob(printer or default or "default printer", copies, None)

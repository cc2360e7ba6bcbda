"""core.csv_safe: the one formula-neutralising rule both the server's and the app's CSV exports use."""

from __future__ import annotations

import csv
import io

from facilitator_app.core.csv_safe import FORMULA_STARTS, safe_cell, safe_row


def test_text_that_a_spreadsheet_would_run_gets_a_leading_apostrophe() -> None:
    for text in ("=1+1", "+1 312 555 0101", "-x", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")'):
        assert safe_cell(text) == "'" + text
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}


def test_everything_else_is_left_alone() -> None:
    for value in ("Oak Clinic", "a=b", " =1", "'quoted", "", "2026-03-02", "Muñoz", -3, 4.5, None, True):
        assert safe_cell(value) == value


def test_a_row_round_trips_through_csv() -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(safe_row(["=cmd|' /C calc'!A0", 7, "ok"]))
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ["'=cmd|' /C calc'!A0", "7", "ok"]

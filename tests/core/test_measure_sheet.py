"""Measure spreadsheets: CSV and XLSX (written by openpyxl, a real spreadsheet writer), loose
headers and measure names, every bad row with its line."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest

from facilitator_app.core.measure_import import MeasureFileError, read_measure_bytes
from facilitator_app.core.measure_import.names import match_name
from facilitator_app.core.vocab import Measure


@pytest.mark.parametrize("name, measure", [
    ("CMS165", "B"), ("CMS165v12", "B"), ("cms 165 v13", "B"), ("Controlling High Blood Pressure", "B"),
    ("controlling high blood-pressure", "B"), ("B", "B"), ("CMS138v12", "S"),
    ("Preventive Care and Screening: Tobacco Use: Screening and Cessation Intervention", "S"),
    ("Statin Therapy for the Prevention and Treatment of Cardiovascular Disease", "C"), ("CMS347", "C"),
    ("Ischemic Vascular Disease (IVD): Use of Aspirin or Another Antiplatelet", "A"), ("CMS0164", "A"),
])
def test_names_of_one_measure(name: str, measure: str) -> None:
    assert match_name(name).measure == Measure(measure)


@pytest.mark.parametrize("name", ["CMS122v12", "Diabetes HbA1c", "Blood pressure screening", "", "CMS1650", "X"])
def test_names_of_other_measures(name: str) -> None:
    assert match_name(name).measure is None


def test_csv_with_loose_headers() -> None:
    data = ("Measure Name,Period End,Numerator,Denominator\n"
            "CMS165v12,2025-09-30,412,640\n"
            "Controlling High Blood Pressure,2025-06-30,400,630\n"
            "CMS138,9/30/2025,\"1,100\",1480\n"
            "CMS122,2025-09-30,10,20\n").encode()
    plan = read_measure_bytes(data, "measures.csv")
    assert plan.kind == "CSV" and plan.problems == []
    assert [(v.measure, v.period_end, v.numerator, v.denominator, v.where) for v in plan.values] == [
        ("B", date(2025, 9, 30), 412, 640, "line 2"), ("B", date(2025, 6, 30), 400, 630, "line 3"),
        ("S", date(2025, 9, 30), 1100, 1480, "line 4")]
    assert plan.values[0].version == "CMS165v12"
    assert [(s.what, s.where) for s in plan.skipped] == [("CMS122", "line 5")]


def test_csv_semicolons_bom_and_windows_encoding() -> None:
    data = "\ufeffmeasure;period_end;numerator;denominator\r\nCMS164;2025-09-30;10;20\r\n".encode()
    assert [(v.measure, v.numerator) for v in read_measure_bytes(data, "m.csv").values] == [("A", 10)]
    data = "measure,quarter end,num,denom,note\nStatins,2025-09-30,5,9,café\n".encode("cp1252")
    assert [(v.measure, v.numerator) for v in read_measure_bytes(data, "m.csv").values] == [("C", 5)]


def test_every_bad_row_is_reported_with_its_line() -> None:
    data = ("measure,period_end,numerator,denominator\n"
            "CMS165,2025-09-30,412,640\n"
            ",2025-09-30,1,2\n"
            "CMS165,30.09.2025,1,2\n"
            "CMS138,2025-09-30,ten,20\n"
            "\n"
            "CMS347,2025-09-30,30,20\n"
            "CMS164,2025-09-30,0,0\n"
            "CMS165,2025-09-30,1.5,-2\n"
            "CMS165v12,2025-09-30,400,640\n").encode()
    plan = read_measure_bytes(data, "bad.csv")
    lines = [(p.where, p.message) for p in plan.problems]
    assert [w for w, _ in lines] == ["line 3", "line 4", "line 5", "line 7", "line 8", "line 9", "line 10"]
    assert "measure is empty" in lines[0][1]
    assert "30.09.2025" in lines[1][1] and "2025-09-30" in lines[1][1]
    assert "'ten' is not a number" in lines[2][1]
    assert "larger than denominator" in lines[3][1]
    assert "denominator is 0" in lines[4][1]
    assert "numerator" in lines[5][1] and "denominator" in lines[5][1]
    assert "a second value for CMS165" in lines[6][1] and "line 2" in lines[6][1]


def test_missing_columns_are_named() -> None:
    with pytest.raises(MeasureFileError, match="no column for period_end, denominator"):
        read_measure_bytes(b"measure,numerator,total\nCMS165,1,2\n", "m.csv")
    with pytest.raises(MeasureFileError, match="empty"):
        read_measure_bytes(b"\n\n", "m.csv")
    with pytest.raises(MeasureFileError, match="not a text"):
        read_measure_bytes(b"\x00\x01\x02garbage", "m.csv")


def _xlsx(rows: list[list[object]], *, date1904: bool = False) -> bytes:
    book = openpyxl.Workbook()
    if date1904:
        book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.create_sheet("Notes").append(["not read"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("date1904", [False, True])
def test_xlsx_with_date_cells_numbers_and_text(date1904: bool) -> None:
    data = _xlsx([["Quarter ending", "eCQM", "Numerator", "Denominator"],
                  [datetime(2025, 9, 30), "CMS165v12", 412, 640],
                  ["2025-06-30", "Controlling High Blood Pressure", 400.0, "630"],
                  [None, None, None, None],
                  [datetime(2025, 9, 30), "CMS122", 1, 2],
                  [datetime(2025, 9, 30), "CMS138", 3.5, 10]], date1904=date1904)
    plan = read_measure_bytes(data, "measures.xlsx")
    assert plan.kind == "XLSX"
    assert [(v.measure, v.period_end, v.numerator, v.denominator, v.where) for v in plan.values] == [
        ("B", date(2025, 9, 30), 412, 640, "line 2"), ("B", date(2025, 6, 30), 400, 630, "line 3")]
    assert [s.where for s in plan.skipped] == ["line 5"]
    assert [p.where for p in plan.problems] == ["line 6"]


def test_damaged_or_wrong_workbooks() -> None:
    with pytest.raises(MeasureFileError, match="not an XLSX workbook"):
        read_measure_bytes(b"PK\x03\x04 this is not really a zip", "m.xlsx")
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(MeasureFileError, match="no xl/workbook.xml"):
        read_measure_bytes(out.getvalue(), "m.xlsx")
    with pytest.raises(MeasureFileError, match=r"\.xls\)"):
        read_measure_bytes(b"\xd0\xcf\x11\xe0 old excel", "m.xls")


def test_workbook_with_an_entity_bomb_is_refused() -> None:
    import zipfile

    good = _xlsx([["measure", "period_end", "numerator", "denominator"], ["CMS165", "2025-09-30", 1, 2]])
    src = zipfile.ZipFile(io.BytesIO(good))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]><worksheet', 1)
            z.writestr(info, body)
    with pytest.raises(MeasureFileError, match="damaged.*billion laughs"):
        read_measure_bytes(out.getvalue(), "bomb.xlsx")

"""QRDA Category III reports, built by the tests from the HL7 structure (tests/qrda_files.py):
two template releases, two EHR layouts, several measures and periods, strata, and hostile or
broken files."""

from __future__ import annotations

import os
from datetime import date

import pytest

from facilitator_app.core.measure_import import (
    MAX_FILE_BYTES,
    MeasureFileError,
    read_measure_bytes,
    read_measure_file,
)
from facilitator_app.core.measure_import.plan import ImportPlan
from facilitator_app.core.measure_import.qrda import measure_results, parse_xml
from tests.qrda_files import ABCS_FOUR, Group, MeasureEntry, entry, qrda3

END = date(2025, 9, 30)
EXPECTED = {("B", END): (420, 600), ("S", END): (1100, 1480), ("C", END): (350, 500), ("A", END): (100, 140)}


def values(plan: ImportPlan) -> dict[tuple[str, date], tuple[int, int]]:
    return {(v.measure, v.period_end): (v.numerator, v.denominator) for v in plan.values}


@pytest.mark.parametrize("release", ["2017", "2022"])
@pytest.mark.parametrize("layout", ["standard", "other"])
def test_the_four_abcs_measures_in_both_releases_and_layouts(release: str, layout: str) -> None:
    plan = read_measure_bytes(qrda3(ABCS_FOUR, release=release, layout=layout), "q3.xml")
    assert plan.problems == [] and plan.skipped == []
    assert plan.kind == "QRDA III"
    assert values(plan) == EXPECTED


def test_the_other_layout_really_is_different() -> None:
    """Prefixed namespace, comments, IPP, extra sections, counts after the supplemental data."""
    standard, other = qrda3(ABCS_FOUR).decode(), qrda3(ABCS_FOUR, layout="other").decode()
    assert "<cda:ClinicalDocument" in other and "<ClinicalDocument" not in other
    assert "<!--" in other and "Improvement Activity Section" in other and 'code="IPP"' in other
    assert other.index("<cda:reference") > other.index("<cda:component><cda:observation")
    assert "<cda:" not in standard


def test_rate_is_denominator_less_exclusions_and_exceptions() -> None:
    plan = read_measure_bytes(qrda3([entry("CMS165", {"IPOP": 90, "DENOM": 80, "DENEX": 5, "DENEXCEP": 3,
                                                      "NUMER": 50})]), "x.xml")
    assert values(plan) == {("B", END): (50, 72)}
    assert "exclusions 5" in plan.values[0].detail and "exceptions 3" in plan.values[0].detail


def test_supplemental_and_stratum_counts_are_not_the_populations() -> None:
    stratified = MeasureEntry("CMS165", [Group({"IPOP": 500, "DENOM": 480, "DENEX": 30, "NUMER": 300},
                                               strata={"Age 18-64": {"IPOP": 200, "DENOM": 190, "NUMER": 120},
                                                       "Age 65-85": {"IPOP": 300, "DENOM": 290, "NUMER": 180}})])
    data = qrda3([stratified])
    plan = read_measure_bytes(data, "strata.xml")
    assert values(plan) == {("B", END): (300, 450)}
    [result] = measure_results(parse_xml(data), ImportPlan("s", "QRDA III"))
    [group] = result.groups
    assert group.counts == {"IPOP": 500, "DENOM": 480, "DENEX": 30, "NUMER": 300}
    assert group.strata == {"Age 18-64": {"IPOP": 200, "DENOM": 190, "NUMER": 120},
                            "Age 65-85": {"IPOP": 300, "DENOM": 290, "NUMER": 180}}


def test_several_periods_in_one_file() -> None:
    q2, q3 = (date(2024, 7, 1), date(2025, 6, 30)), (date(2024, 10, 1), date(2025, 9, 30))
    data = qrda3(sections=[(q2, [entry("CMS165", {"IPOP": 10, "DENOM": 10, "NUMER": 6})]),
                           (q3, [entry("CMS165", {"IPOP": 10, "DENOM": 10, "NUMER": 7}),
                                 entry("CMS164", {"IPOP": 9, "DENOM": 9, "NUMER": 8})])],
                 document_period=False)
    plan = read_measure_bytes(data, "two-quarters.xml")
    assert values(plan) == {("B", date(2025, 6, 30)): (6, 10), ("B", END): (7, 10), ("A", END): (8, 9)}


def test_several_periods_without_saying_which_is_a_problem() -> None:
    data = qrda3(sections=[((date(2024, 7, 1), date(2025, 6, 30)), []),
                           (None, [entry("CMS165", {"IPOP": 10, "DENOM": 10, "NUMER": 7})])])
    plan = read_measure_bytes(data, "x.xml")
    assert plan.values == [] and "several reporting periods" in str(plan.problems[0])


def test_measure_found_by_cms_number_or_title_when_set_id_is_missing() -> None:
    by_title = entry("CMS165", {"IPOP": 10, "DENOM": 10, "NUMER": 7}, set_id=None)
    by_id = entry("CMS138", {"IPOP": 10, "DENOM": 10, "NUMER": 3}, set_id=None, title="Tobacco measure",
                  version_id="CMS138v12")
    plan = read_measure_bytes(qrda3([by_title, by_id]), "x.xml")
    assert values(plan) == {("B", END): (7, 10), ("S", END): (3, 10)}
    assert {v.version for v in plan.values} >= {"CMS138v12"}


def test_measures_the_app_does_not_track_are_skipped_never_guessed() -> None:
    plan = read_measure_bytes(qrda3([entry("CMS122", {"IPOP": 5, "DENOM": 5, "NUMER": 1}),
                                     entry("CMS165", {"IPOP": 5, "DENOM": 5, "NUMER": 2}, set_id=None,
                                           title="Blood pressure screening in adolescents", version_id="x-1")]),
                              "x.xml")
    assert plan.values == [] and plan.problems == []
    assert len(plan.skipped) == 2 and all("not one of the ABCS measures" in s.reason for s in plan.skipped)


def test_set_id_and_title_disagreeing_is_skipped() -> None:
    plan = read_measure_bytes(qrda3([entry("CMS165", {"IPOP": 5, "DENOM": 5, "NUMER": 2},
                                           title="CMS138v12 Tobacco")]), "x.xml")
    assert plan.values == [] and "set id names CMS165" in plan.skipped[0].reason


def test_a_measure_with_unexpected_groups_is_skipped() -> None:
    plan = read_measure_bytes(qrda3([entry("CMS165", {"IPOP": 5, "DENOM": 5, "NUMER": 2},
                                           {"IPOP": 5, "DENOM": 5, "NUMER": 3})]), "x.xml")
    assert plan.values == [] and "not guessed" in plan.skipped[0].reason


def test_no_patients_is_skipped_and_bad_counts_are_problems() -> None:
    plan = read_measure_bytes(qrda3([entry("CMS165", {"IPOP": 5, "DENOM": 5, "DENEX": 5, "NUMER": 0})]), "x.xml")
    assert plan.values == [] and "no patients" in plan.skipped[0].reason
    plan = read_measure_bytes(qrda3([entry("CMS165", {"IPOP": 5, "DENOM": 5, "NUMER": 6})]), "x.xml")
    assert "numerator (6) is larger" in str(plan.problems[0])
    plan = read_measure_bytes(qrda3([entry("CMS165", {"IPOP": 5, "DENOM": 5, "NUMER": 2})]).replace(
        b'value="2"', b'value="2.5"'), "x.xml")
    assert "not a whole number" in str(plan.problems[0])
    plan = read_measure_bytes(qrda3([entry("CMS165", {"IPOP": 5, "NUMER": 2})]), "x.xml")
    assert "no DENOM count" in str(plan.problems[0])


def test_the_same_measure_twice_for_a_period_is_a_problem() -> None:
    m = entry("CMS165", {"IPOP": 5, "DENOM": 5, "NUMER": 2})
    plan = read_measure_bytes(qrda3([m, m]), "x.xml")
    assert "a second value for CMS165" in str(plan.problems[0])


# -- hostile and broken files --------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&lol9;</title></ClinicalDocument>
"""


def test_billion_laughs_is_refused_unread() -> None:
    with pytest.raises(MeasureFileError, match="billion laughs"):
        read_measure_bytes(BILLION_LAUGHS, "lol.xml")


def test_external_entity_is_refused_unread(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("PASSWORD=hunter2")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}">]>'
           f'<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&xxe;</title></ClinicalDocument>').encode()
    with pytest.raises(MeasureFileError, match="outside file or web address") as caught:
        read_measure_bytes(xxe, "xxe.xml")
    assert "hunter2" not in str(caught.value)


def test_a_qrda_with_an_entity_in_the_middle_is_refused_too() -> None:
    data = qrda3(ABCS_FOUR).replace(b'<?xml version="1.0" encoding="utf-8"?>\n',
                                    b'<?xml version="1.0"?>\n<!DOCTYPE ClinicalDocument [<!ENTITY n "420">]>\n')
    data = data.replace(b'value="420"', b'value="&n;"')
    with pytest.raises(MeasureFileError, match="entities"):
        read_measure_bytes(data, "x.xml")


def test_truncated_file() -> None:
    data = qrda3(ABCS_FOUR)
    with pytest.raises(MeasureFileError, match="stops in the middle"):
        read_measure_bytes(data[: len(data) * 2 // 3], "cut.xml")


def test_not_qrda_iii() -> None:
    with pytest.raises(MeasureFileError, match="not a QRDA report"):
        read_measure_bytes(b'<?xml version="1.0"?><html><body>hi</body></html>', "page.xml")
    qrda1 = qrda3(ABCS_FOUR).replace(b"2.16.840.1.113883.10.20.27.1.1", b"2.16.840.1.113883.10.20.24.1.1")
    with pytest.raises(MeasureFileError, match="Category I file"):
        read_measure_bytes(qrda1, "patient.xml")
    other_cda = qrda3(ABCS_FOUR).replace(b"2.16.840.1.113883.10.20.27.1.1", b"2.16.840.1.113883.10.20.22.1.1")
    with pytest.raises(MeasureFileError, match="not a QRDA Category III report"):
        read_measure_bytes(other_cda, "ccd.xml")
    with pytest.raises(MeasureFileError, match="no measure results"):
        read_measure_bytes(qrda3([]), "empty.xml")
    with pytest.raises(MeasureFileError, match="not well-formed"):
        read_measure_bytes(b"<ClinicalDocument><a></b></ClinicalDocument>", "bad.xml")
    with pytest.raises(MeasureFileError, match="empty"):
        read_measure_bytes(b"  \n", "blank.xml")


def test_oversized_file_is_refused_before_reading(tmp_path) -> None:
    big = tmp_path / "huge.xml"
    with big.open("wb") as fh:  # sparse: 50 MB + 1 byte on disk costs nothing
        fh.write(b"<?xml")
        fh.truncate(MAX_FILE_BYTES + 1)
    assert os.path.getsize(big) == MAX_FILE_BYTES + 1
    with pytest.raises(MeasureFileError, match="at most 50 MB"):
        read_measure_file(big)
    ok = tmp_path / "q.xml"
    ok.write_bytes(qrda3(ABCS_FOUR))
    assert values(read_measure_file(ok)) == EXPECTED


def test_missing_file() -> None:
    with pytest.raises(MeasureFileError, match="There is no file"):
        read_measure_file("/nonexistent/q.xml")

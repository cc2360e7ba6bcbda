"""QRDA Category III reports built by the tests from the HL7 structure (CDA R2, urn:hl7-org:v3),
in two template releases and two EHR layouts, so the reader is tested on files it has never
been tuned to rather than on one sample.

The structure: ClinicalDocument (QRDA III document template 2.16.840.1.113883.10.20.27.1.1)
-> component/structuredBody -> a Reporting Parameters section whose act
(2.16.840.1.113883.10.20.17.3.8) holds the period -> Measure sections
(2.16.840.1.113883.10.20.27.2.1) -> entry/organizer "Measure Reference and Results"
(2.16.840.1.113883.10.20.27.3.1) -> reference/externalDocument (id root
2.16.840.1.113883.4.738, text, setId) -> component/observation "Measure Data"
(2.16.840.1.113883.10.20.27.3.5), value code IPOP/DENOM/DENEX/DENEXCEP/NUMER, its count in an
"Aggregate Count" (2.16.840.1.113883.10.20.27.3.3) under entryRelationship SUBJ inversionInd
true, beside supplemental data (sex, payer) and reporting strata with counts of their own."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date

# Template extensions (dates) of two QRDA III releases: the CMS implementation guide of
# 2017 (R2.1 base) and of 2022 (R2.1 with the 2022-12-01 CMS templates).
RELEASES = {
    "2017": {"doc": "2017-06-01", "cms_doc": "2017-07-01", "section": "2017-06-01", "measure": "2016-09-01",
             "data": "2016-09-01", "agg": None, "params": None},
    "2022": {"doc": "2017-06-01", "cms_doc": "2022-12-01", "section": "2020-12-01", "measure": "2020-12-01",
             "data": "2016-09-01", "agg": None, "params": None},
}

SET_IDS = {"CMS165": "ABDC37CC-BAC6-4156-9B91-D1BE2C8B7268", "CMS138": "E35791DF-5B25-41BB-B260-673337BC44A8",
           "CMS347": "5375D6A9-203B-4FFF-B851-AFA9B68D2AC2", "CMS122": "7B2A9277-43DA-4D99-9BEE-6AC271A07747"}
TITLES = {"CMS165": "Controlling High Blood Pressure",
          "CMS138": "Preventive Care and Screening: Tobacco Use: Screening and Cessation Intervention",
          "CMS347": "Statin Therapy for the Prevention and Treatment of Cardiovascular Disease",
          "CMS164": "Ischemic Vascular Disease (IVD): Use of Aspirin or Another Antiplatelet",
          "CMS122": "Diabetes: Glycemic Status Assessment Greater Than 9%"}


@dataclass
class Group:
    """One population criteria group: counts by population code, optional strata."""

    counts: dict[str, int]
    strata: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class MeasureEntry:
    cms: str  # "CMS165"
    groups: list[Group]
    version: int = 12
    set_id: str | None = "default"  # "default": the known set id; None: leave it out
    title: str | None = None
    version_id: str | None = None  # the version-specific id; default a GUID-like id


def entry(cms: str, *groups: dict[str, int], version: int = 12, **kw: object) -> MeasureEntry:
    return MeasureEntry(cms, [Group(dict(g)) for g in groups], version, **kw)  # type: ignore[arg-type]


def _d(day: date) -> str:
    return day.strftime("%Y%m%d")


def _tid(root: str, ext: str | None) -> str:
    return f'<templateId root="{root}"' + (f' extension="{ext}"' if ext else "") + "/>"


def _aggregate(count: int, layout: str) -> str:
    if layout == "other":
        return (f'<entryRelationship inversionInd="true" typeCode="SUBJ"><!-- aggregate -->'
                f'<observation moodCode="EVN" classCode="OBS"><value xsi:type="INT" value="{count}"/>'
                f'<templateId root="2.16.840.1.113883.10.20.27.3.3"/>'
                f'<code codeSystem="2.16.840.1.113883.5.4" code="MSRAGG"/>'
                f'<methodCode codeSystem="2.16.840.1.113883.5.84" code="COUNT"/></observation></entryRelationship>')
    return (f'<entryRelationship typeCode="SUBJ" inversionInd="true">'
            f'<observation classCode="OBS" moodCode="EVN">{_tid("2.16.840.1.113883.10.20.27.3.3", None)}'
            f'<code code="MSRAGG" codeSystem="2.16.840.1.113883.5.4" displayName="rate aggregation"/>'
            f'<value xsi:type="INT" value="{count}"/>'
            f'<methodCode code="COUNT" codeSystem="2.16.840.1.113883.5.84" displayName="Count"/>'
            f'</observation></entryRelationship>')


def _supplemental(count: int, layout: str) -> str:
    """Sex and payer supplemental data with counts of their own: never the population's."""
    male, female = count // 2 + 7, count - count // 2 + 3  # deliberately not summing to the population
    parts = []
    for code, n in (("M", male), ("F", female)):
        parts.append(
            f'<entryRelationship typeCode="COMP"><observation classCode="OBS" moodCode="EVN">'
            f'{_tid("2.16.840.1.113883.10.20.27.3.6", "2016-09-01")}'
            f'<code code="76689-9" codeSystem="2.16.840.1.113883.6.1" displayName="Sex assigned at birth"/>'
            f'<statusCode code="completed"/><value xsi:type="CD" code="{code}" codeSystem="2.16.840.1.113883.5.1"/>'
            f'{_aggregate(n, layout)}</observation></entryRelationship>')
    parts.append(
        f'<entryRelationship typeCode="COMP"><observation classCode="OBS" moodCode="EVN">'
        f'{_tid("2.16.840.1.113883.10.20.27.3.18", "2018-05-01")}'
        f'<code code="48768-6" codeSystem="2.16.840.1.113883.6.1" displayName="Payment source"/>'
        f'<value xsi:type="CD" code="A" codeSystem="2.16.840.1.113883.3.249.12"/>'
        f'{_aggregate(count + 1000, layout)}</observation></entryRelationship>')
    return "".join(parts)


def _strata(strata: dict[str, dict[str, int]], code: str, layout: str) -> str:
    out = []
    for label, counts in strata.items():
        if code not in counts:
            continue
        out.append(
            f'<entryRelationship typeCode="COMP"><observation classCode="OBS" moodCode="EVN">'
            f'{_tid("2.16.840.1.113883.10.20.27.3.4", None)}<code code="ASSERTION" codeSystem="2.16.840.1.113883.5.4"/>'
            f'<statusCode code="completed"/><value xsi:type="CD" nullFlavor="OTH"><originalText>{label}</originalText>'
            f'</value>{_aggregate(counts[code], layout)}'
            f'<reference typeCode="REFR"><externalObservation classCode="OBS" moodCode="EVN">'
            f'<id root="{zlib.crc32(label.encode()):08x}-0000-4000-8000-000000000000"/>'
            f'</externalObservation></reference>'
            f'</observation></entryRelationship>')
    return "".join(out)


def _population(code: str, count: int, group: Group, rel: dict[str, str | None], layout: str, n: int) -> str:
    pop_id = f"{n:08x}-{code.lower()[:4]:0<4}-4aaa-8bbb-{n:012x}"
    ipop = "IPP" if code == "IPOP" and layout == "other" else code
    body = [
        _tid("2.16.840.1.113883.10.20.27.3.5", rel["data"]),
        _tid("2.16.840.1.113883.10.20.27.3.16", "2019-05-01"),
        '<code code="ASSERTION" codeSystem="2.16.840.1.113883.5.4" displayName="Assertion"/>',
        '<statusCode code="completed"/>',
        f'<value xsi:type="CD" code="{ipop}" codeSystem="2.16.840.1.113883.5.4"/>',
        _aggregate(count, layout),
        _supplemental(count, layout),
        _strata(group.strata, code, layout),
        f'<reference typeCode="REFR"><externalObservation classCode="OBS" moodCode="EVN"><id root="{pop_id}"/>'
        f'</externalObservation></reference>',
    ]
    if layout == "other":  # counts last, comment in the middle, value before the templates
        body = [body[4], "<!-- population -->", *body[:4], body[8], body[6], body[7], body[5]]
    return f'<component><observation classCode="OBS" moodCode="EVN">{"".join(body)}</observation></component>'


def _organizer(m: MeasureEntry, rel: dict[str, str | None], layout: str, period: tuple[date, date] | None) -> str:
    set_id = SET_IDS.get(m.cms, "") if m.set_id == "default" else (m.set_id or "")
    if layout == "other":
        set_id = set_id.lower()
    title = m.title if m.title is not None else TITLES.get(m.cms, m.cms)
    version_id = m.version_id if m.version_id is not None else \
        f"2c928085-{m.version:04x}-{m.cms[3:]:0>4}-0180-bd0a8c2b0000"
    doc = (f'<externalDocument classCode="DOC" moodCode="EVN">'
           f'<id root="2.16.840.1.113883.4.738" extension="{version_id}"/>'
           + (f"<text>{title}</text>" if title else "")
           + (f'<setId root="{set_id}"/>' if set_id else "")
           + f'<versionNumber value="{m.version}"/></externalDocument>')
    reference = f'<reference typeCode="REFR">{doc}</reference>'
    pops = []
    n = 0
    for group in m.groups:
        for code, count in group.counts.items():
            n += 1
            pops.append(_population(code, count, group, rel, layout, n))
    own_period = ""
    if period is not None:
        own_period = f'<component>{_reporting_act(period, rel)}</component>'
    head = (_tid("2.16.840.1.113883.10.20.24.3.98", None) + _tid("2.16.840.1.113883.10.20.27.3.1", rel["measure"])
            + _tid("2.16.840.1.113883.10.20.27.3.17", "2019-05-01") + '<statusCode code="completed"/>')
    if layout == "other":
        inner = "".join(pops) + reference + "<!-- measure reference after the data -->" + head + own_period
    else:
        inner = head + reference + own_period + "".join(pops)
    return f'<entry><organizer classCode="CLUSTER" moodCode="EVN">{inner}</organizer></entry>'


def _reporting_act(period: tuple[date, date], rel: dict[str, str | None]) -> str:
    return (f'<act classCode="ACT" moodCode="EVN">{_tid("2.16.840.1.113883.10.20.17.3.8", rel["params"])}'
            f'{_tid("2.16.840.1.113883.10.20.17.3.8.1", "2016-03-01")}'
            f'<id root="55a43e20-6463-46eb-81c3-9a3a1ad41225"/>'
            f'<code code="252116004" codeSystem="2.16.840.1.113883.6.96" displayName="Observation Parameters"/>'
            f'<effectiveTime><low value="{_d(period[0])}000000"/><high value="{_d(period[1])}235959"/></effectiveTime>'
            f'</act>')


def qrda3(measures: list[MeasureEntry] | None = None, *, period: tuple[date, date] = (date(2024, 10, 1),
                                                                                        date(2025, 9, 30)),
          release: str = "2022", layout: str = "standard",
          sections: list[tuple[tuple[date, date] | None, list[MeasureEntry]]] | None = None,
          document_period: bool = True) -> bytes:
    """A QRDA III report. `sections` gives measure sections each with its own reporting period
    (several periods in one file); otherwise one measure section for `measures` in `period`.
    layout "other": a different EHR: prefixed namespace (cda:), elements in another order, IPP
    for IPOP, lower-case set ids, comments, a processing instruction and extra sections."""
    rel = RELEASES[release]
    if sections is None:
        sections = [(None, measures or [])]
    body = []
    if document_period:
        body.append(f'<component><section>{_tid("2.16.840.1.113883.10.20.17.2.1", None)}'
                    f'{_tid("2.16.840.1.113883.10.20.17.2.1.1", "2016-03-01")}'
                    f'<code code="55187-9" codeSystem="2.16.840.1.113883.6.1"/><title>Reporting Parameters</title>'
                    f'<text><list><item>Reporting period: {period[0]} - {period[1]}</item></list></text>'
                    f'<entry typeCode="DRIV">{_reporting_act(period, rel)}</entry></section></component>')
    for section_period, entries in sections:
        own = f'<entry typeCode="DRIV">{_reporting_act(section_period, rel)}</entry>' if section_period else ""
        organizers = "".join(_organizer(m, rel, layout, None) for m in entries)
        body.append(f'<component><section>{_tid("2.16.840.1.113883.10.20.24.2.2", None)}'
                    f'{_tid("2.16.840.1.113883.10.20.27.2.1", rel["section"])}'
                    f'{_tid("2.16.840.1.113883.10.20.27.2.3", "2019-05-01")}'
                    f'<code code="55186-1" codeSystem="2.16.840.1.113883.6.1"/><title>Measure Section</title>'
                    f'<text><table><tr><td>eMeasure results</td></tr></table></text>{own}{organizers}'
                    f'</section></component>')
    if layout == "other":
        body.insert(1, '<component><section><templateId root="2.16.840.1.113883.10.20.27.2.2" '
                       'extension="2016-09-01"/><code code="55186-1" codeSystem="2.16.840.1.113883.6.1"/>'
                       '<title>Improvement Activity Section</title><text>Not reported</text></section></component>')
        body.append('<!-- end of measures --><component><section><title>Vendor notes</title>'
                    '<text>Exported by OtherEHR 9.4</text></section></component>')
    header = (
        '<realmCode code="US"/><typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>'
        f'{_tid("2.16.840.1.113883.10.20.27.1.1", rel["doc"])}{_tid("2.16.840.1.113883.10.20.27.1.2", rel["cms_doc"])}'
        '<id root="26a42253-99f5-48e7-9274-b467c6c7f623"/>'
        '<code code="55184-6" codeSystem="2.16.840.1.113883.6.1" displayName="Quality Reporting Document '
        'Architecture Calculated Summary Report"/><title>QRDA Category III Report</title>'
        '<effectiveTime value="20251015120000-0500"/>'
        '<confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>'
        '<languageCode code="en"/>'
        '<recordTarget><patientRole><id nullFlavor="NA"/></patientRole></recordTarget>'
        '<author><time value="20251015"/><assignedAuthor><id root="2.16.840.1.113883.4.6" extension="1234567893"/>'
        '</assignedAuthor></author>'
        '<custodian><assignedCustodian><representedCustodianOrganization><id root="2.16.840.1.113883.19.5"/>'
        '<name>Prairie Family Medicine</name></representedCustodianOrganization></assignedCustodian></custodian>')
    body_xml = f'<component><structuredBody>{"".join(body)}</structuredBody></component>'
    if layout == "other":
        xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<?xml-stylesheet type="text/xsl" href="cda.xsl"?>\n'
               f'<!-- exported by OtherEHR -->\n'
               f'<cda:ClinicalDocument xmlns:cda="urn:hl7-org:v3" xmlns:sdtc="urn:hl7-org:sdtc" '
               f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{header}{body_xml}</cda:ClinicalDocument>')
        return _prefix(xml).encode()
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:voc="urn:hl7-org:v3/voc">\n'
            f'{header}\n{body_xml}\n</ClinicalDocument>\n').encode()


def _prefix(xml: str) -> str:
    """Put every unprefixed element of the body in the cda: prefix (the namespace declared once
    on the root with a prefix instead of as the default)."""
    import re

    return re.sub(r"<(/?)(?![?!]|cda:)([A-Za-z]+)", r"<\1cda:\2", xml)


ABCS_FOUR = [
    entry("CMS165", {"IPOP": 700, "DENOM": 640, "DENEX": 40, "NUMER": 420}),
    entry("CMS138", {"IPOP": 1500, "DENOM": 1500, "DENEXCEP": 0, "NUMER": 1300},
          {"IPOP": 1500, "DENOM": 300, "DENEXCEP": 10, "NUMER": 200},
          {"IPOP": 1500, "DENOM": 1500, "DENEXCEP": 20, "NUMER": 1100}),
    entry("CMS347", {"IPOP": 300, "DENOM": 300, "DENEX": 20, "DENEXCEP": 10, "NUMER": 200},
          {"IPOP": 40, "DENOM": 40, "DENEX": 0, "DENEXCEP": 0, "NUMER": 30},
          {"IPOP": 200, "DENOM": 200, "DENEX": 10, "DENEXCEP": 0, "NUMER": 120}),
    entry("CMS164", {"IPOP": 150, "DENOM": 150, "DENEX": 10, "NUMER": 100}, set_id=None),
]
"""The four ABCS measures as an EHR reports them. Recorded (numerator / denominator): CMS165
420/600, CMS138 group 3 1100/1480, CMS347 the three groups 350/500, CMS164 100/140."""

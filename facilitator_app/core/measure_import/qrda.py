"""Read a QRDA Category III report (HL7 CDA, namespace urn:hl7-org:v3): the aggregate eCQM
results a certified EHR exports and practices submit to CMS.

Parsed with defusedxml, entities and external references refused, so a "billion laughs" or an
external-entity file is stopped at its declaration, before anything expands or is fetched.
Elements are matched by local name and template `root` (never the yearly `extension`), so
another EHR's namespace prefixes, element order, comments and extra sections read the same."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterator
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException, EntitiesForbidden

from ..vocab import Measure
from .names import cms_number, match_name, match_set_id
from .plan import ImportPlan, MeasureFileError, PlannedValue, Problem, Skipped, check_duplicates

HL7_NS = "urn:hl7-org:v3"
QRDA_III_DOCUMENT = "2.16.840.1.113883.10.20.27.1.1"
QRDA_I_DOCUMENT = "2.16.840.1.113883.10.20.24.1.1"
REPORTING_PARAMETERS_ACT = "2.16.840.1.113883.10.20.17.3.8"
MEASURE_REFERENCE_AND_RESULTS = "2.16.840.1.113883.10.20.27.3.1"
MEASURE_DATA = "2.16.840.1.113883.10.20.27.3.5"
AGGREGATE_COUNT = "2.16.840.1.113883.10.20.27.3.3"
REPORTING_STRATUM = "2.16.840.1.113883.10.20.27.3.4"
CMS_MEASURE_ID_ROOT = "2.16.840.1.113883.4.738"
POPULATIONS = {"IPOP": "IPOP", "IPP": "IPOP", "DENOM": "DENOM", "DENEX": "DENEX", "DENEXCEP": "DENEXCEP",
               "NUMER": "NUMER"}
MAX_COUNT = 10_000_000
_TRUNCATED = {3, 5, 6}  # expat: no element found, unclosed token, partial character
_ABCS = ", ".join(m.cms_id for m in Measure)


@dataclass
class PopulationGroup:
    """One population criteria group of a measure: its counts (IPOP, DENOM, DENEX, DENEXCEP,
    NUMER) and, per reporting stratum, the stratum's counts."""

    counts: dict[str, int] = field(default_factory=dict)
    strata: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def performance_denominator(self) -> int:
        """What the rate is taken over: the denominator less exclusions and exceptions."""
        return self.counts.get("DENOM", 0) - self.counts.get("DENEX", 0) - self.counts.get("DENEXCEP", 0)


@dataclass
class MeasureResult:
    """One Measure Reference and Results entry, as read (before deciding what to record)."""

    where: str
    title: str
    set_id: str
    version_id: str
    period: tuple[date, date] | None
    groups: list[PopulationGroup]


# -- the XML, safely ---------------------------------------------------------------------

def parse_xml(data: bytes) -> Element:
    """Parse with entities and external references refused; a specific message for each way
    a file can fail."""
    if not data.strip():
        raise MeasureFileError("The file is empty.")
    try:
        root: Element = safe_et.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
        return root
    except EntitiesForbidden as exc:
        if exc.sysid or exc.pubid:
            raise MeasureFileError(
                "The file refers to an outside file or web address (an XML external entity). A QRDA report "
                "never does; this can be used to read files from your computer, so it was refused unread.") from None
        raise MeasureFileError(
            "The file declares XML entities that expand into more text (a 'billion laughs' file can grow to "
            "gigabytes). A QRDA report never does, so it was refused unread.") from None
    except DefusedXmlException:
        raise MeasureFileError(
            "The file refers to an outside file or web address, which a QRDA report never does; "
            "it was refused unread.") from None
    except ParseError as exc:
        line, column = exc.position
        if exc.code in _TRUNCATED:
            raise MeasureFileError(
                f"The file stops in the middle (line {line}): it was probably cut off while downloading or "
                "copying. Export the report from the EHR again.") from None
        raise MeasureFileError(
            f"The file is not well-formed XML (line {line}, column {column}): it is damaged or not an EHR "
            "export. Export the report from the EHR again.") from None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _children(el: Element, name: str) -> Iterator[Element]:
    return (c for c in el if _local(c.tag) == name)


def _child(el: Element | None, name: str) -> Element | None:
    return next(_children(el, name), None) if el is not None else None


def _descendants(el: Element, name: str) -> Iterator[Element]:
    return (c for c in el.iter() if _local(c.tag) == name)


def _templates(el: Element) -> set[str]:
    return {_attr(t, "root") for t in _children(el, "templateId")}


def _attr(el: Element | None, name: str) -> str:
    return ((el.get(name) if el is not None else "") or "").strip()


def _text(el: Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


# -- reading a report --------------------------------------------------------------------

def read_qrda(data: bytes, file_name: str) -> ImportPlan:
    """The plan for a QRDA III file; MeasureFileError when the file as a whole is refused."""
    root = parse_xml(data)
    check_document(root)
    plan = ImportPlan(file_name, "QRDA III")
    results = measure_results(root, plan)
    if not results and not plan.problems:
        raise MeasureFileError("The QRDA III report holds no measure results: export it again with the ABCS "
                               f"measures ({_ABCS}) selected.")
    for result in results:
        _plan_measure(result, plan)
    check_duplicates(plan)
    return plan


def check_document(root: Element) -> None:
    if _local(root.tag) != "ClinicalDocument" or _ns(root.tag) != HL7_NS:
        raise MeasureFileError(
            f"This XML file is not a QRDA report (its document is <{_local(root.tag)[:40]}>). Export the QRDA "
            "Category III (aggregate) report from the EHR.")
    templates = _templates(root)
    if QRDA_III_DOCUMENT in templates:
        return
    if QRDA_I_DOCUMENT in templates:
        raise MeasureFileError(
            "This is a QRDA Category I file: one patient's data, not the practice's results. Export the "
            "QRDA Category III (aggregate) report instead.")
    raise MeasureFileError(
        "This clinical document is not a QRDA Category III report (it lacks the QRDA III template id "
        f"{QRDA_III_DOCUMENT}). Export the QRDA Category III (aggregate) report from the EHR.")


def measure_results(root: Element, plan: ImportPlan) -> list[MeasureResult]:
    parents = {child: parent for parent in root.iter() for child in parent}
    act_periods = {act: _period(act, plan, "reporting period") for act in _reporting_acts(root)}
    out = []
    organizers = [o for o in _descendants(root, "organizer") if MEASURE_REFERENCE_AND_RESULTS in _templates(o)]
    for number, organizer in enumerate(organizers, 1):
        doc = _child(_child(organizer, "reference"), "externalDocument")
        title = _text(_child(doc, "text"))
        version_id = next((_attr(i, "extension") for i in _children(doc, "id")
                           if _attr(i, "root") == CMS_MEASURE_ID_ROOT), "") if doc is not None else ""
        set_id = _attr(_child(doc, "setId"), "root")
        where = f"measure {number}" + (f" ({title[:80]})" if title else "")
        period = _organizer_period(organizer, parents, act_periods, plan, where)
        groups = _groups(organizer, plan, where)
        out.append(MeasureResult(where, title, set_id, version_id, period, groups))
    return out


def _reporting_acts(el: Element) -> Iterator[Element]:
    return (a for a in _descendants(el, "act") if REPORTING_PARAMETERS_ACT in _templates(a))


def _day(value: str | None) -> date | None:
    digits = (value or "").strip()[:8]
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def _period(act: Element, plan: ImportPlan, where: str) -> tuple[date, date] | None:
    time = _child(act, "effectiveTime")
    low, high = _day(_attr(_child(time, "low"), "value")), _day(_attr(_child(time, "high"), "value"))
    if high is None:
        plan.problems.append(Problem(where, "the reporting period has no end date (effectiveTime/high, YYYYMMDD)"))
        return None
    if low is not None and low > high:
        plan.problems.append(Problem(where, f"the reporting period starts ({low.isoformat()}) after it ends "
                                            f"({high.isoformat()})"))
        return None
    return (low or high, high)


def _organizer_period(organizer: Element, parents: dict[Element, Element],
                      act_periods: dict[Element, tuple[date, date] | None], plan: ImportPlan,
                      where: str) -> tuple[date, date] | None:
    """The reporting period nearest the measure: its own, else its section's, else the
    document's only one."""
    node: Element | None = organizer
    while node is not None and _local(node.tag) not in ("structuredBody", "ClinicalDocument"):
        acts = [a for a in _reporting_acts(node)]
        if acts:
            found = {act_periods.get(a) for a in acts}
            if None in found:
                return None  # the period's own problem is noted already
            if len(found) == 1:
                return found.pop()
            break
        node = parents.get(node)
    periods = set(act_periods.values())
    if None in periods:
        return None
    if len(periods) == 1:
        return periods.pop()
    if not periods:
        plan.problems.append(Problem(where, "the report gives no reporting period (the Reporting Parameters act)"))
    else:
        plan.problems.append(Problem(where, "the report has several reporting periods and does not say which "
                                            "one this measure's results are for"))
    return None


def _count(observation: Element, plan: ImportPlan, where: str) -> int | None:
    """The Aggregate Count directly under a population (entryRelationship SUBJ, inversionInd
    true), not the counts nested in its supplemental data or strata. None when there is none;
    -1 when it is not a count (the problem is noted)."""
    for rel in _children(observation, "entryRelationship"):
        if (rel.get("typeCode") or "").upper() != "SUBJ" or (rel.get("inversionInd") or "").lower() != "true":
            continue
        for agg in _children(rel, "observation"):
            code = _child(agg, "code")
            if AGGREGATE_COUNT in _templates(agg) or (code is not None and code.get("code") == "MSRAGG"):
                raw = _attr(_child(agg, "value"), "value")
                try:
                    number = float(raw)
                except ValueError:
                    number = -1.0
                if not number.is_integer() or not 0 <= number <= MAX_COUNT:
                    plan.problems.append(Problem(where, f"the count {raw[:20]!r} is not a whole number of patients "
                                                        f"from 0 to {MAX_COUNT:,}"))
                    return -1
                return int(number)
    return None


def _population_code(observation: Element) -> str:
    return POPULATIONS.get(_attr(_child(observation, "value"), "code").upper(), "")


def _groups(organizer: Element, plan: ImportPlan, where: str) -> list[PopulationGroup]:
    """Populations in document order; a population code seen again starts the next group
    (measures with several population criteria list each group's populations together)."""
    groups: list[PopulationGroup] = []
    for component in _children(organizer, "component"):
        for obs in _children(component, "observation"):
            if MEASURE_DATA not in _templates(obs):
                continue
            code = _population_code(obs)
            if not code:
                continue  # a population the ABCS rates do not use (e.g. NUMEX, MSRPOPL)
            count = _count(obs, plan, where)
            if count is None:
                plan.problems.append(Problem(where, f"the {code} population has no aggregate count"))
            if count is None or count < 0:
                continue
            if not groups or code in groups[-1].counts:
                groups.append(PopulationGroup())
            groups[-1].counts[code] = count
            for rel in _children(obs, "entryRelationship"):
                for stratum in _children(rel, "observation"):
                    if REPORTING_STRATUM in _templates(stratum):
                        label = _stratum_label(stratum)
                        stratum_count = _count(stratum, plan, where)
                        if stratum_count is not None and stratum_count >= 0:
                            groups[-1].strata.setdefault(label, {})[code] = stratum_count
    return groups


def _stratum_label(stratum: Element) -> str:
    ext = _child(_child(stratum, "reference"), "externalObservation")
    ids = [i.get("root") or "" for i in _children(ext, "id")] if ext is not None else []
    value = _child(stratum, "value")
    name = (_attr(value, "displayName") or _text(_child(value, "originalText")) or _attr(value, "code")
            if value is not None else "")
    return (name or (ids[0] if ids else "") or "stratum")[:80]


# -- what to record ----------------------------------------------------------------------

def identify(result: MeasureResult) -> tuple[Measure | None, str, str]:
    """(measure, version, reason it is not recorded): by the version-neutral set id, else the
    CMS number in the title or the version-specific id, else the title itself."""
    by_set = match_set_id(result.set_id)
    cms, version = cms_number(result.title)
    if not cms:
        cms, version = cms_number(result.version_id)
    named = match_name(cms) if cms else match_name(result.title)
    if by_set is not None and named.measure is not None and named.measure != by_set:
        return None, "", (f"its set id names {by_set.cms_id} but its title or id names {named.measure.cms_id}; "
                          "check the export")
    measure = by_set or named.measure
    if measure is None:
        return None, "", f"not one of the ABCS measures the app tracks ({_ABCS})"
    # CMS165v12 when the file says so; else the version-specific id, which names the exact
    # yearly specification; a version number alone is not taken for the vN of the CMS name.
    return measure, (version or result.version_id or measure.cms_id)[:40], ""


def _plan_measure(result: MeasureResult, plan: ImportPlan) -> None:
    measure, version, reason = identify(result)
    cms = cms_number(result.title)[0] or cms_number(result.version_id)[0]
    what = " ".join(p for p in (cms, result.title[:80]) if p) or result.version_id or result.set_id or result.where
    if measure is None:
        plan.skipped.append(Skipped(what, reason, result.where))
        return
    if result.period is None:
        return  # already reported
    if any(p.where == result.where for p in plan.problems):
        return
    groups = result.groups
    if not groups:
        plan.problems.append(Problem(result.where, "no population counts (IPOP, DENOM, NUMER) found"))
        return
    for i, g in enumerate(groups, 1):
        missing = [c for c in ("DENOM", "NUMER") if c not in g.counts]
        label = f"population group {i}: " if len(groups) > 1 else ""
        if missing:
            plan.problems.append(Problem(result.where, f"{label}no {' or '.join(missing)} count"))
            return
        if g.performance_denominator < 0:
            plan.problems.append(Problem(result.where, (
                f"{label}exclusions and exceptions ({g.counts.get('DENEX', 0) + g.counts.get('DENEXCEP', 0)}) "
                f"exceed the denominator ({g.counts['DENOM']})")))
            return
        if g.counts["NUMER"] > g.performance_denominator:
            plan.problems.append(Problem(result.where, (
                f"{label}the numerator ({g.counts['NUMER']}) is larger than the denominator less exclusions and "
                f"exceptions ({g.performance_denominator})")))
            return
    chosen = _choose(measure, groups)
    if isinstance(chosen, str):
        plan.skipped.append(Skipped(what, chosen, result.where))
        return
    numerator, denominator, note, detail = chosen
    period_end = result.period[1]
    if denominator == 0:
        plan.skipped.append(Skipped(what, "no patients in the denominator after exclusions and exceptions: "
                                          "there is no rate to record", result.where))
        return
    plan.values.append(PlannedValue(measure.value, period_end, numerator, denominator, version, result.where,
                                    detail, note))


def _describe(g: PopulationGroup) -> str:
    parts = [f"denominator {g.counts['DENOM']}"]
    for code, word in (("DENEX", "exclusions"), ("DENEXCEP", "exceptions")):
        if g.counts.get(code):
            parts.append(f"- {word} {g.counts[code]}")
    return " ".join(parts)


def _choose(measure: Measure, groups: list[PopulationGroup]) -> tuple[int, int, str, str] | str:
    """(numerator, denominator, note for the source, detail) the measure's rate is taken from,
    or why not. CMS138 reports three groups: the third (screened and, if a tobacco user, given
    a cessation intervention) is the ABCS rate. CMS347's groups are distinct patients (ASCVD,
    LDL-C 190+, diabetes...): their sum is its rate. CMS164 and CMS165 have one group; more is
    not guessed at."""
    if len(groups) == 1:
        g = groups[0]
        return g.counts["NUMER"], g.performance_denominator, "", _describe(g)
    if measure is Measure.S and len(groups) == 3:
        g = groups[2]
        return (g.counts["NUMER"], g.performance_denominator, "population 3 of 3",
                f"population 3 of 3 (screened and, if a user, cessation intervention): {_describe(g)}")
    if measure is Measure.C:
        return (sum(g.counts["NUMER"] for g in groups), sum(g.performance_denominator for g in groups),
                f"sum of {len(groups)} population groups", f"sum of its {len(groups)} population groups")
    return f"{len(groups)} population groups, where the app knows how to record 1" + (
        " or 3" if measure is Measure.S else "") + f" for {measure.cms_id}; not guessed"

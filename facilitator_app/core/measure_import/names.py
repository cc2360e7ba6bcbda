"""Which ABCS measure a name, a CMS number or an eCQM set id means.

Spreadsheets and EHR exports name a measure every way there is (`CMS165`, `CMS165v12`,
`Controlling High Blood Pressure`, `B`); all of them must land on the same measure, and
anything else must be recognised as "not an ABCS measure", never guessed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..vocab import MEASURE_CMS, Measure

# Version-neutral eCQM ids (QRDA III `externalDocument/setId`), compared case-insensitively.
# CMS165 and CMS138: /work/shared domain notes. CMS347: the set id of the CMS347 measure
# package used by the eCQM test tool Bonnie (its CMS347v1 fixtures); CMS164's could not be
# looked up, so CMS164 is recognised by its CMS number or its title only.
SET_IDS: dict[str, Measure] = {
    "abdc37cc-bac6-4156-9b91-d1be2c8b7268": Measure.B,
    "e35791df-5b25-41bb-b260-673337bc44a8": Measure.S,
    "5375d6a9-203b-4fff-b851-afa9b68d2ac2": Measure.C,
}

# eCQM titles, current and earlier, plus the app's own names for the measures.
TITLES: dict[Measure, tuple[str, ...]] = {
    Measure.A: ("Ischemic Vascular Disease (IVD): Use of Aspirin or Another Antiplatelet",
                "Ischemic Vascular Disease (IVD): Use of Aspirin or Another Antithrombotic",
                "Use of Aspirin or Another Antiplatelet", "Aspirin or antiplatelet for ischemic vascular disease",
                "Aspirin", "Aspirin or antiplatelet", "IVD aspirin"),
    Measure.B: ("Controlling High Blood Pressure", "Blood pressure", "Blood pressure control", "BP control",
                "Hypertension control"),
    Measure.C: ("Statin Therapy for the Prevention and Treatment of Cardiovascular Disease",
                "Statin therapy for cardiovascular disease", "Statin therapy", "Statins", "Cholesterol"),
    Measure.S: ("Preventive Care and Screening: Tobacco Use: Screening and Cessation Intervention",
                "Tobacco Use: Screening and Cessation Intervention", "Tobacco screening and cessation",
                "Tobacco screening", "Smoking", "Smoking cessation", "Tobacco"),
}
_CMS_TO_MEASURE = {cms: m for m, cms in MEASURE_CMS.items()}
_CMS_RE = re.compile(r"\bCMS[\s_-]?0*(\d{1,4})(?:\s*v(?:ersion)?\s*\.?\s*(\d{1,3}))?\b", re.IGNORECASE)
_LONGEST = 300  # a name longer than this is not a measure name; never run a search over it


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


_TITLE_KEYS = {_key(t): m for m, titles in TITLES.items() for t in titles}
_TITLE_KEYS.update({_key(m.title): m for m in Measure})


@dataclass(frozen=True)
class MeasureName:
    """What a name says: the ABCS measure (None when it is not one), the CMS number it carries
    (`CMS122`, also for measures the app does not track) and its version (`CMS165v12`)."""

    measure: Measure | None
    cms: str = ""
    version: str = ""


def cms_number(text: str) -> tuple[str, str]:
    """(`CMS165`, `CMS165v12`) from a text naming a CMS measure anywhere, else ("", "")."""
    found = _CMS_RE.search(text[:_LONGEST])
    if not found:
        return "", ""
    cms = f"CMS{int(found.group(1))}"
    return cms, f"{cms}v{int(found.group(2))}" if found.group(2) else ""


def match_name(text: str) -> MeasureName:
    """The ABCS measure a cell or title names: a letter (A, B, C, S), a CMS number with or
    without its version, or a title (case, spaces and punctuation ignored)."""
    text = (text or "").strip()[:_LONGEST]
    if not text:
        return MeasureName(None)
    if text.upper() in Measure.choices():
        return MeasureName(Measure(text.upper()), Measure(text.upper()).cms_id)
    cms, version = cms_number(text)
    if cms:
        return MeasureName(_CMS_TO_MEASURE.get(cms), cms, version)
    measure = _TITLE_KEYS.get(_key(text))
    return MeasureName(measure, measure.cms_id if measure else "")


def match_set_id(set_id: str) -> Measure | None:
    return SET_IDS.get((set_id or "").strip().lower())

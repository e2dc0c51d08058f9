"""A gentle check for details that could identify a client, used before a learner sends
a question or a forum post. It flags; it never blocks: the learner decides.

Flags names with titles (Mr. Smith, Dr Jones), phone numbers, email addresses, exact dates,
and ages over 89 (HIPAA's Safe Harbor treats ages above 89 as identifying).
"""

import re
from dataclasses import dataclass

TITLE_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?\b")
PHONE = re.compile(
    r"(?<!\w)(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)|\d{2,4})[\s.-]?\d{3,4}[\s.-]?\d{3,4}(?!\w)"
)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
EXACT_DATE = re.compile(
    rf"\b(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|"
    rf"(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTHS})\.?,?\s+\d{{4}})\b"
)
AGE = re.compile(
    r"\b(?:aged?\s+|age\s+of\s+)?(\d{2,3})[\s-]*(?:years?|yrs?|y/?o)(?:[\s-]*old)?\b"
    r"|\b(?:aged?|age\s+of)\s+(\d{2,3})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str

    @property
    def label(self) -> str:
        return {
            "name": "a name with a title",
            "phone": "a phone number",
            "email": "an email address",
            "date": "an exact date",
            "age": "an age over 89",
        }[self.kind]


def find_identifiers(text: str) -> list[Finding]:
    findings: list[Finding] = []
    for kind, pattern in (("name", TITLE_NAME), ("email", EMAIL), ("date", EXACT_DATE)):
        findings += [Finding(kind, m.group(0)) for m in pattern.finditer(text)]
    without_dates = EXACT_DATE.sub(" ", EMAIL.sub(" ", text))
    findings += [Finding("phone", m.group(0).strip()) for m in PHONE.finditer(without_dates)]
    for m in AGE.finditer(text):
        age = int(m.group(1) or m.group(2))
        if 89 < age < 130:
            findings.append(Finding("age", m.group(0)))
    return findings


def summary(findings: list[Finding]) -> str:
    """A sentence for the form: what looks identifying, without repeating the text itself."""
    kinds = sorted({f.label for f in findings})
    return "This may identify a client: it seems to contain " + ", ".join(kinds) + "."

"""The certificate as a one-page PDF, drawn with fpdf2 (pure Python, from the package registry
alone). The font is DejaVu Sans, bundled in ce/fonts/ with its licence, so that names beyond
Latin-1 (Łukasz, Ελένη, Дарья) print as the learner entered them."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from ce.models import Certificate

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"
# fontTools reports every table it prunes while subsetting the font, at INFO, per PDF.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def _hours(value: Decimal | None) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value else "0"


def certificate_pdf(certificate: Certificate, *, verify_url: str) -> bytes:
    c = certificate
    pdf = FPDF(orientation="landscape", unit="mm", format="Letter")
    pdf.set_title(f"CE certificate {c.code}")
    pdf.set_author(c.program)
    pdf.set_creation_date(c.issued_at)
    pdf.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_line_width(0.8)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)
    width = pdf.w - 2 * pdf.l_margin

    def line(text: str, size: float, style: str = "", gap: float = 2) -> None:
        pdf.set_font(FAMILY, style, size)
        pdf.multi_cell(width, size * 0.5, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(gap)

    pdf.set_y(20)
    line(c.program, 14, "B")
    line("Certificate of Continuing Education", 24, "B", gap=6)
    line("This certifies that", 11)
    line(c.holder, 22, "B", gap=4)
    line("completed", 11)
    line(c.trimester, 14, "B", gap=5)
    total = _hours(c.total_hours)
    line(
        f"Live (interactive) hours: {_hours(c.live_hours)}    "
        f"Home-study hours: {_hours(c.home_study_hours)}    Total: {total}",
        12,
        "B",
    )
    line(
        f"From {c.started_on:%B %-d, %Y} to {c.completed_on:%B %-d, %Y} · "
        f"issued {c.issued_at:%B %-d, %Y}",
        10,
        gap=5,
    )
    sponsor = c.approving_body + (
        f" · Provider number {c.provider_number}" if c.provider_number else ""
    )
    line(sponsor, 10, "B")
    line(c.sponsor_statement, 9, gap=5)
    line(f"Verify this certificate: {verify_url}", 9)
    line(f"Certificate code: {c.code}", 9)
    return bytes(pdf.output())

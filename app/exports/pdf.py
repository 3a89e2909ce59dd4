"""PDF building blocks shared by the reports: fonts with wide Unicode coverage,
right-to-left shaping, styles, tables and the page footer.

DejaVu Sans (Debian's fonts-dejavu-core) covers Latin with accents, Greek, Cyrillic
and Arabic; without it the reports fall back to Helvetica (Latin-1 only). Arabic and
Hebrew text is shaped and reordered for display when arabic-reshaper and python-bidi
are installed.
"""
import os
import re
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from app.common.clock import school_time

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts")
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#616e7c")
ACCENT = colors.HexColor("#2f6690")
RULE = colors.HexColor("#cbd2d9")
SHADE = colors.HexColor("#f0f4f8")
GOOD = colors.HexColor("#2e7d32")
BAD = colors.HexColor("#c62828")
WAIT = colors.HexColor("#b26a00")
# The frame keeps 6 pt of padding on each side inside the margins.
CONTENT_WIDTH = A4[0] - 36 * mm - 12
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_fonts: tuple[str, str] | None = None


def fonts() -> tuple[str, str]:
    """(regular, bold) font names, registering DejaVu Sans once when it is installed."""
    global _fonts
    if _fonts is None:
        _fonts = _register_dejavu() or ("Helvetica", "Helvetica-Bold")
    return _fonts


def _register_dejavu() -> tuple[str, str] | None:
    for folder in FONT_DIRS:
        regular, bold = os.path.join(folder, "DejaVuSans.ttf"), os.path.join(folder, "DejaVuSans-Bold.ttf")
        if os.path.exists(regular) and os.path.exists(bold):
            try:
                pdfmetrics.registerFont(TTFont("DejaVuSans", regular))
                pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", bold))
                pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold",
                                              italic="DejaVuSans", boldItalic="DejaVuSans-Bold")
                return "DejaVuSans", "DejaVuSans-Bold"
            except Exception:  # a damaged font file: keep the built-in fallback
                return None
    return None


def shape(text) -> str:
    """Display form of a string: Arabic letters joined and right-to-left runs reordered."""
    text = "" if text is None else str(text)
    if not _RTL.search(text):
        return text
    try:
        import arabic_reshaper
        from bidi import get_display
    except ImportError:
        return text
    return "\n".join(get_display(arabic_reshaper.reshape(line)) for line in text.split("\n"))


def para(text, style) -> Paragraph:
    """A paragraph of user text: shaped, escaped, line breaks kept."""
    return Paragraph(escape(shape(text)).replace("\n", "<br/>"), style)


def styles() -> dict[str, ParagraphStyle]:
    regular, bold = fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=9.5, leading=13, textColor=INK, alignment=TA_LEFT)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5),
        "muted": ParagraphStyle("muted", parent=base, fontSize=8.5, leading=11, textColor=MUTED),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=17, leading=21, spaceAfter=2),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10.5, leading=14, textColor=MUTED),
        "h2": ParagraphStyle("h2", parent=base, fontName=bold, fontSize=12, leading=15, textColor=ACCENT,
                             spaceBefore=10, spaceAfter=5),
        "bold": ParagraphStyle("bold", parent=base, fontName=bold),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5),
        "cellbold": ParagraphStyle("cellbold", parent=base, fontName=bold, fontSize=8.5, leading=10.5),
        "cellright": ParagraphStyle("cellright", parent=base, fontName=bold, fontSize=8.5, leading=10.5,
                                    alignment=TA_RIGHT),
        "indented": ParagraphStyle("indented", parent=base, leftIndent=6, rightIndent=6, spaceBefore=3),
        "indented_bold": ParagraphStyle("indented_bold", parent=base, fontName=bold, leftIndent=6, spaceBefore=3),
        "indented_muted": ParagraphStyle("indented_muted", parent=base, fontSize=8.5, leading=11, textColor=MUTED,
                                         leftIndent=6, rightIndent=6, spaceBefore=3),
        "feedback": ParagraphStyle("feedback", parent=base, fontSize=9, leading=12, leftIndent=6, rightIndent=6,
                                   spaceBefore=5, borderPadding=4, backColor=colors.HexColor("#fff8e1")),
        "cellmuted": ParagraphStyle("cellmuted", parent=base, fontSize=7.5, leading=9.5, textColor=MUTED),
    }


def document(buffer, title: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(buffer, pagesize=A4, title=shape(title), author="Quiz Management System",
                             leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=18 * mm)


def footer(label: str, generated_at):
    regular, _bold = fonts()

    def draw(canvas, doc):
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(MUTED)
        canvas.setStrokeColor(RULE)
        canvas.line(doc.leftMargin, 12 * mm, A4[0] - doc.rightMargin, 12 * mm)
        canvas.drawString(doc.leftMargin, 8.5 * mm, shape(label)[:110])
        stamp = f"Generated {fmt_time(generated_at)} · page {doc.page}"
        canvas.drawRightString(A4[0] - doc.rightMargin, 8.5 * mm, stamp)
        canvas.restoreState()

    return draw


def grid(rows, col_widths, *, header: bool = True, zebra: bool = True, align_right_from: int | None = None):
    """A data table: bold shaded header, hairlines, alternate row shading."""
    regular, bold = fonts()
    table = Table(rows, colWidths=col_widths, repeatRows=1 if header else 0, hAlign="LEFT")
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), regular), ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        commands += [("BACKGROUND", (0, 0), (-1, 0), ACCENT), ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                     ("FONTNAME", (0, 0), (-1, 0), bold), ("FONTSIZE", (0, 0), (-1, 0), 7.5)]
    if zebra:
        for index in range(1 if header else 0, len(rows)):
            if index % 2 == 0:
                commands.append(("BACKGROUND", (0, index), (-1, index), SHADE))
    if align_right_from is not None:
        commands.append(("ALIGN", (align_right_from, 0), (-1, -1), "RIGHT"))
    table.setStyle(TableStyle(commands))
    return table


def fmt_number(value, suffix: str = "") -> str:
    if value is None:
        return "–"
    number = float(value)
    text = f"{number:.0f}" if number == int(number) else f"{number:.2f}".rstrip("0").rstrip(".")
    return text + suffix


def fmt_time(value) -> str:
    """A stored time as the school reads it: its wall clock and zone (`SCHOOL_TIMEZONE`)."""
    local = school_time(value)
    return "–" if local is None else f"{local:%d %b %Y, %H:%M} {_zone_label(local)}"


def _zone_label(local) -> str:
    # Some zones have no abbreviation ("+05"): the IANA name says more then.
    name = local.tzname() or ""
    return name if name[:1].isalpha() else local.tzinfo.key


def bullet(selected: bool) -> str:
    """A filled or hollow circle where the font has them, else ASCII."""
    if fonts()[0] == "Helvetica":
        return "[x]" if selected else "[ ]"
    return "\u25cf" if selected else "\u25cb"

"""The credit report as a PDF (seed item 3): A4, Chinese, the font embedded, footer with the verification code.

The sections are the ones services/report.py builds for the chat (one place builds them); this module only
lays them out. Each line becomes a table row: ``[类别] 内容`` and ``标签：内容`` as label and text, anything
else across the row. Table cells wrap (CJK line breaking), so long text never runs into its neighbour.

Font: a TrueType CJK font is embedded (subset), so the document reads the same on any reader, including
one without Chinese fonts; the path is the setting CREDIT_REPORT_FONT_PATH (default: Debian's
fonts-wqy-zenhei). reportlab cannot embed CFF-outline fonts such as Noto CJK, and its built-in CID font
STSong-Light is not embedded at all.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from credit_backend.settings import get_settings

TITLE = "公共信用信息报告"
FONT_NAME = "CreditReportCJK"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
LABEL_WIDTH = 38 * mm
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN
FOOTER_HEIGHT = 20 * mm


class ReportFontMissing(RuntimeError):
    """The CJK font for report PDFs is not where the setting says."""


@lru_cache(maxsize=4)
def _register(path: str, index: int) -> str:
    try:
        pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=index))
    except Exception as exc:  # missing file, not TrueType, index out of range
        raise ReportFontMissing(
            f"credit-report font unusable at {path} (index {index}): {exc}. Install Debian's fonts-wqy-zenhei "
            "(apt-get install -y --no-install-recommends fonts-wqy-zenhei) or set CREDIT_REPORT_FONT_PATH "
            "(and CREDIT_REPORT_FONT_INDEX for a .ttc) to a TrueType CJK font."
        ) from exc
    return FONT_NAME


def report_font() -> str:
    """Register the configured font once and return its name; ReportFontMissing says what to install."""
    settings = get_settings()
    path = Path(settings.report_font_path)
    if not path.is_file():
        raise ReportFontMissing(
            f"credit-report font not found: {path}. Install Debian's fonts-wqy-zenhei "
            "(apt-get install -y --no-install-recommends fonts-wqy-zenhei) or set CREDIT_REPORT_FONT_PATH "
            "to a TrueType CJK font (.ttf or .ttc)."
        )
    return _register(str(path), settings.report_font_index)


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=2 * mm),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, alignment=TA_CENTER, spaceAfter=4 * mm),
        "heading": ParagraphStyle(
            "heading",
            parent=base,
            fontSize=12.5,
            leading=18,
            textColor=colors.HexColor("#8b1a1a"),
            spaceBefore=4 * mm,
            spaceAfter=1.5 * mm,
            keepWithNext=1,  # a heading never ends a page without its rows
        ),
        "label": ParagraphStyle("label", parent=base, textColor=colors.HexColor("#333333")),
        "body": base,
        "note": ParagraphStyle("note", parent=base, fontSize=8.5, leading=12, textColor=colors.HexColor("#555555")),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def split_line(line: str) -> tuple[str | None, str]:
    """A section line as (label, text): ``[类别] 内容``, ``标签：内容`` (a short label), or (None, line)."""
    if line.startswith("[") and "] " in line:
        label, _, text = line[1:].partition("] ")
        return label, text.replace("｜", " ｜ ")
    label, sep, text = line.partition("：")
    if sep and 0 < len(label) <= 12:
        return label, text
    return None, line


def _table(rows: list[list[Any]], spans: list[int], header: bool = False) -> Table:
    table = Table(rows, colWidths=[LABEL_WIDTH, BODY_WIDTH - LABEL_WIDTH], repeatRows=0)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#9a9a9a")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2efe8")),
        ("LEFTPADDING", (0, 0), (-1, -1), 2 * mm),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2 * mm),
        ("TOPPADDING", (0, 0), (-1, -1), 1.2 * mm),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.6 * mm),
    ]
    for i in spans:
        style += [("SPAN", (0, i), (1, i)), ("BACKGROUND", (0, i), (1, i), colors.white)]
    table.setStyle(TableStyle(style))
    return table


def _footer_for(content: dict[str, Any], code: str, font: str) -> type[Canvas]:
    """A canvas class that writes, on every page, 第 x 页 / 共 y 页 and how to verify (two passes)."""
    lines = (
        f"报告编号：{content['report_no']}    核验码：{code}    第 {{page}} 页 / 共 {{pages}} 页",
        f"核验方式：向{content['issuer']}信用服务助手发送“核验报告”并提供报告编号和核验码，或调用核验接口：",
        f"GET /api/v1/reports/{content['report_no']}/verification?code={code}",
    )

    class FooterCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setStrokeColor(colors.HexColor("#9a9a9a"))
                self.line(MARGIN, FOOTER_HEIGHT, PAGE_WIDTH - MARGIN, FOOTER_HEIGHT)
                self.setFont(font, 8)
                self.setFillColor(colors.HexColor("#444444"))
                self.drawString(MARGIN, FOOTER_HEIGHT - 4.5 * mm, lines[0].format(page=number, pages=total))
                self.setFont(font, 7)
                self.drawString(MARGIN, FOOTER_HEIGHT - 8.5 * mm, lines[1])
                self.drawString(MARGIN, FOOTER_HEIGHT - 12 * mm, lines[2])
                super().showPage()
            super().save()

    return FooterCanvas


def render_pdf(content: dict[str, Any], code: str) -> bytes:
    """The issued report (``IssuedReport.content``) as PDF bytes, the verification code in the footer.

    Rendering is invariant (no creation time or random id in the file), so a report downloads the same bytes
    every time.
    """
    font = report_font()
    s = _styles(font)
    story: list[Any] = [_p(TITLE, s["title"]), _p(f"报告主体：{content['name']}", s["subtitle"])]
    header = [
        ("报告编号", content["report_no"]),
        ("生成时间", content["issued_at_cn"]),
        ("有效期", content["validity_cn"]),
        ("出具机构", content["issuer"]),
        ("统一社会信用代码", content["uscc"]),
        ("内容摘要", f"SHA-256 {content['digest_prefix']}…（核验时比对）"),
    ]
    story.append(_table([[_p(k, s["label"]), _p(v, s["body"])] for k, v in header], []))
    for section in content["sections"]:
        story.append(_p(section["title"], s["heading"]))
        rows: list[list[Any]] = []
        spans: list[int] = []
        for line in section["lines"]:
            label, text = split_line(line)
            if label is None:
                spans.append(len(rows))
                rows.append([_p(text, s["body"]), ""])
            else:
                rows.append([_p(label, s["label"]), _p(text, s["body"])])
        story.append(_table(rows, spans))
    story.append(Spacer(1, 5 * mm))
    for note in content["notes"]:
        story.append(_p(note, s["note"]))

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=FOOTER_HEIGHT + 6 * mm,
        title=f"{TITLE} {content['report_no']}",
        author=content["issuer"],
        subject=content["name"],
        invariant=1,
    )
    doc.build(story, canvasmaker=_footer_for(content, code, font))
    return buffer.getvalue()

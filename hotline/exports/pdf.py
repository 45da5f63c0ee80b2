"""What the PDFs share: an fpdf2 document with a Unicode font, so any script a report was written in prints.

The font is DejaVu Sans from the system (Debian's fonts-dejavu-core), or the file HOTLINE_PDF_FONT_PATH
names. Without either, fpdf2's built-in Helvetica is used and characters outside Latin-1 print as "?"; the
PDF says so on its first page rather than failing.

Every page carries the document's header line (what it is, for whom, which year or case) and a footer with the
page number of the total. Text is left-aligned and wrapped inside the margins; a label and its value sit in two
columns that each wrap, so a long label never runs into its value (tests/hotline/exports/pdf_layout.py checks
every PDF the suite makes for overlapping text and text past the margins).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace

SYSTEM_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/local/share/fonts/DejaVuSans.ttf"),
)
MARGIN = 18  # millimetres, every side
MUTED = (74, 85, 96)
LINE = 5.0  # body line height, millimetres


class Document(FPDF):
    def __init__(self, font_path: str = "", *, title: str, footer_text: str, header_text: str = "",
                 page_label: str = "page %(page)s of %(pages)s", language: str = "en") -> None:
        super().__init__(format="Letter")
        self.footer_text = footer_text
        self.header_text = header_text
        self.page_label = page_label
        self.set_title(title)
        self.set_lang(language)
        self.set_creator("hotline")
        self.set_margins(MARGIN, MARGIN + (6 if header_text else 0), MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN + 4)
        self.alias_nb_pages()
        self.unicode = False
        candidates = [Path(font_path)] if font_path else list(SYSTEM_FONTS)
        regular = next((path for path in candidates if path.is_file()), None)
        if regular is not None:
            bold = regular.with_name(regular.stem + "-Bold" + regular.suffix)
            self.add_font("Body", "", str(regular))
            self.add_font("Body", "B", str(bold if bold.is_file() else regular))
            self.family = "Body"
            self.unicode = True
        else:
            self.family = "Helvetica"
        self.add_page()
        if not self.unicode:
            self.set_font(self.family, "", 9)
            self.wrapped_text("Note: no Unicode font was found (set HOTLINE_PDF_FONT_PATH); characters outside "
                              "Latin-1 are shown as '?'.", LINE)

    @property
    def text_width(self) -> float:
        return float(self.w - self.l_margin - self.r_margin)

    def wrapped_text(self, text: str, height: float, width: float = 0) -> None:
        """A left-aligned paragraph from the left margin, wrapped; the next one starts at the left margin."""
        self.multi_cell(width, height, self.text_for_font(text), align=Align.L, new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)

    def text_for_font(self, text: str) -> str:
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def header(self) -> None:
        if not self.header_text:
            return
        self.set_y(MARGIN - 8)
        self.set_font(self.family, "", 8)
        self.set_text_color(*MUTED)
        self.multi_cell(0, 4, self.text_for_font(self.header_text), align=Align.L, new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.set_y(self.t_margin)

    def footer(self) -> None:
        self.set_y(-MARGIN + 4)
        self.set_font(self.family, "", 8)
        self.set_text_color(*MUTED)
        page = self.page_label % {"page": self.page_no(), "pages": "{nb}"}
        self.cell(0, 5, self.text_for_font(f"{self.footer_text} · {page}"), align=Align.C)
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, size: int = 16) -> None:
        self.set_font(self.family, "B", size)
        self.keep_with_next(size * 0.5 + 12)
        self.wrapped_text(text, size * 0.5)
        self.ln(2)

    def paragraph(self, text: str, size: int = 10, bold: bool = False, muted: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        if muted:
            self.set_text_color(*MUTED)
        self.wrapped_text(text, LINE * size / 10)
        self.set_text_color(0, 0, 0)
        self.ln(1)

    def bullets(self, items: Sequence[str], size: int = 10) -> None:
        self.set_font(self.family, "", size)
        for item in items:
            self.keep_with_next(LINE)
            self.cell(5, LINE, "•")
            self.multi_cell(self.text_width - 5, LINE, self.text_for_font(item), align=Align.L,
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1)
        self.ln(1)

    def _lines(self, text: str, width: float) -> int:
        lines = self.multi_cell(width, LINE, self.text_for_font(text), align=Align.L, dry_run=True, output="LINES")
        return max(1, len(lines))  # type: ignore[arg-type]

    def keep_with_next(self, height: float) -> None:
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def facts(self, rows: Sequence[tuple[str, str]], label_width: float = 62, size: int = 10) -> None:
        """Label and value in two columns; each wraps within its own, and the next row starts below both."""
        value_width = self.text_width - label_width
        for label, value in rows:
            self.set_font(self.family, "B", size)
            label_lines = self._lines(label, label_width - 3)
            self.set_font(self.family, "", size)
            value_lines = self._lines(value, value_width)
            self.keep_with_next(LINE * max(label_lines, value_lines))
            top = self.get_y()
            self.set_font(self.family, "B", size)
            self.multi_cell(label_width - 3, LINE, self.text_for_font(label), align=Align.L, new_x=XPos.LMARGIN,
                            new_y=YPos.NEXT)
            below_label = self.get_y()
            self.set_xy(self.l_margin + label_width, top)
            self.set_font(self.family, "", size)
            self.multi_cell(value_width, LINE, self.text_for_font(value), align=Align.L, new_x=XPos.LMARGIN,
                            new_y=YPos.NEXT)
            self.set_y(max(below_label, self.get_y()) + 1)
        self.ln(2)

    def figures_table(self, headings: tuple[str, str], rows: Sequence[tuple[str, str]], size: int = 9) -> None:
        """A two-column table (a label and its figure), its heading row repeated on each page it spans."""
        self.set_font(self.family, "", size)
        self.keep_with_next(3 * LINE)
        with self.table(col_widths=(self.text_width * 0.68, self.text_width * 0.32), text_align=("LEFT", "LEFT"),
                        width=self.text_width, align="LEFT", line_height=LINE, padding=(1, 2),
                        headings_style=FontFace(emphasis="BOLD"), borders_layout="HORIZONTAL_LINES") as table:
            for row in (headings, *rows):
                cells = table.row()
                for text in row:
                    cells.cell(self.text_for_font(text))
        self.ln(4)

    def output_bytes(self) -> bytes:
        return bytes(self.output())

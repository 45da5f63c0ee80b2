"""What the PDFs share: an fpdf2 document with a Unicode font, so any script a report was written in prints.

The font is DejaVu Sans from the system (Debian's fonts-dejavu-core), or the file HOTLINE_PDF_FONT_PATH
names. Without either, fpdf2's built-in Helvetica is used and characters outside Latin-1 print as "?"; the
PDF says so on its first page rather than failing.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

SYSTEM_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/local/share/fonts/DejaVuSans.ttf"),
)


class Document(FPDF):
    def __init__(self, font_path: str = "", *, title: str, footer_text: str) -> None:
        super().__init__(format="Letter")
        self.footer_text = footer_text
        self.set_title(title)
        self.set_creator("hotline")
        self.set_auto_page_break(auto=True, margin=18)
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
                              "Latin-1 are shown as '?'.", 5)

    def wrapped_text(self, text: str, height: float) -> None:
        """A paragraph from the left margin, wrapped, after which the next one starts at the left margin again."""
        self.multi_cell(0, height, self.text_for_font(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def text_for_font(self, text: str) -> str:
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.family, "", 8)
        self.cell(0, 8, self.text_for_font(f"{self.footer_text} · page {self.page_no()}"), align="C")

    def heading(self, text: str, size: int = 16) -> None:
        self.set_font(self.family, "B", size)
        self.wrapped_text(text, size * 0.5)
        self.ln(2)

    def paragraph(self, text: str, size: int = 10, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.wrapped_text(text, 5)
        self.ln(1)

    def facts(self, rows: list[tuple[str, str]]) -> None:
        for label, value in rows:
            self.set_font(self.family, "B", 10)
            self.cell(55, 6, self.text_for_font(label))
            self.set_font(self.family, "", 10)
            self.wrapped_text(value, 6)
        self.ln(2)

    def output_bytes(self) -> bytes:
        return bytes(self.output())

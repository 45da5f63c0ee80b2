"""Documents made for people outside the console: the case PDF and the annual report PDF (fpdf2), and the
report's SVG charts (hotline.charts)."""

"""Full-page screenshots of console pages, for a person to look at after a browser test: kept under the test's
temporary folder, or in the folder HOTLINE_SCREENSHOTS names."""

from __future__ import annotations

import os
import re
from pathlib import Path


def screenshot(page, directory: Path, path: str) -> Path:
    folder = Path(os.environ.get("HOTLINE_SCREENSHOTS", directory / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") + ".png")
    page.screenshot(path=str(target), full_page=True)
    return target

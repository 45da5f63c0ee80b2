"""Report categories (DESIGN.md section 5). Cities route each to a reviewer group; the labels here are English
and the delivery layer translates them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    slug: str
    label: str
    description: str


DEFAULT_CATEGORIES = (
    Category("fraud-waste-abuse", "Fraud, waste or abuse", "Theft, false claims, misuse of city money or property."),
    Category("ethics-conflict", "Ethics or conflict of interest",
             "Gifts, favours, hiring relatives, decisions that benefit someone's own interests."),
    Category("harassment-discrimination", "Harassment or discrimination",
             "Unwelcome conduct, bullying, or unfair treatment because of who someone is."),
    Category("safety", "Safety", "Danger to employees or the public: equipment, sites, vehicles, practices."),
    Category("other", "Something else", "Any other concern about city business."),
)

CATEGORY_SLUGS = frozenset(category.slug for category in DEFAULT_CATEGORIES)


def category_label(slug: str) -> str:
    return next((c.label for c in DEFAULT_CATEGORIES if c.slug == slug), slug)

"""Report categories (docs/design.md#routing-and-conflict-of-interest). Cities route each to a reviewer group; the
labels here are English and the delivery layer translates them."""

from __future__ import annotations

from dataclasses import dataclass

from intake.messages import N_


@dataclass(frozen=True)
class Category:
    slug: str
    label: str
    description: str


DEFAULT_CATEGORIES = (
    Category("fraud-waste-abuse", N_("Fraud, waste or abuse"),
             N_("Theft, false claims, misuse of city money or property.")),
    Category("ethics-conflict", N_("Ethics or conflict of interest"),
             N_("Gifts, favours, hiring relatives, decisions that benefit someone's own interests.")),
    Category("harassment-discrimination", N_("Harassment or discrimination"),
             N_("Unwelcome conduct, bullying, or unfair treatment because of who someone is.")),
    Category("safety", N_("Safety"), N_("Danger to employees or the public: equipment, sites, vehicles, practices.")),
    Category("other", N_("Something else"), N_("Any other concern about city business.")),
)

CATEGORY_SLUGS = frozenset(category.slug for category in DEFAULT_CATEGORIES)


def category_label(slug: str) -> str:
    return next((c.label for c in DEFAULT_CATEGORIES if c.slug == slug), slug)

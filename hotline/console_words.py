"""Stored values the console's templates show through ``_()`` as they are, marked here so that the Spanish catalogue
holds them (tests/hotline/test_i18n.py fails on any without a translation): a case's channel and outcome, a
member's role, a group's purpose, in lower case as stored. Statuses, outcomes and item kinds written with a
capital (``_(status|capitalize)``) are marked with the audit log's words (intake.audit.wording).

tests/hotline/web/console/test_console_words.py opens every console page in Spanish and fails on an English
label, and checks every stored value is here.
"""

from __future__ import annotations

from intake.messages import N_

CHANNELS = {"web": N_("web"), "phone": N_("phone"), "letter": N_("letter"), "walk-in": N_("walk-in"),
            "hr-call": N_("hr-call")}
OUTCOMES = {"substantiated": N_("substantiated"), "unsubstantiated": N_("unsubstantiated"),
            "referred": N_("referred"), "not actionable": N_("not actionable")}
ROLES = {"reviewer": N_("reviewer"), "admin": N_("admin"), "auditor": N_("auditor"),
         "coordinator": N_("coordinator")}
EXIT_INVITATION_STATUSES = {"invited": N_("invited"), "started": N_("started"), "completed": N_("completed")}
GROUP_PURPOSES = {"cases": N_("cases"), "alternate": N_("alternate"), "hr": N_("hr")}

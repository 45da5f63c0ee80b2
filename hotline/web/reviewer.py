"""The reviewer console's first handlers, now split by concept under hotline.web.console (issue 4). Kept as
names for code that imported them from here."""

from hotline.web.console.auth import change_city, sign_in_form, sign_in_submit, sign_out
from hotline.web.console.case import case_page, reply
from hotline.web.console.inbox import inbox

__all__ = ["case_page", "change_city", "inbox", "reply", "sign_in_form", "sign_in_submit", "sign_out"]

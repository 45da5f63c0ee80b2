"""Every console route and who may use it, in one place. A test walks the app's route table and fails on a
route without a rule; the access matrix in tests/hotline/test_access_matrix.py requests each as every role."""

from __future__ import annotations

from starlette.routing import BaseRoute

from hotline.access import public_route, reviewer_route
from hotline.web.console import (
    admin,
    audit_log,
    auth,
    case,
    case_files,
    inbox,
    joining,
    sign_in_methods,
    staff_intake,
    stats,
)
from hotline.web.exit import hr as exit_hr
from hotline.web.exit import regional as exit_regional
from intake.accounts.reviewers import (
    CONTENT_ROLES,
    ROLE_ADMIN,
    ROLE_COORDINATOR,
    ROLE_TOTP_ENROLMENT,
    ROLE_UNLOCK,
    SESSION_ROLES,
)
from intake.audit.viewer import AUDIT_ROLES
from intake.casework.statistics import STATISTICS_ROLES

ADMIN = (ROLE_ADMIN,)
REGION = (ROLE_COORDINATOR,)
ENROLMENT = (ROLE_TOTP_ENROLMENT,)
UNLOCK = (ROLE_UNLOCK,)
ANY_SESSION = (*SESSION_ROLES, ROLE_TOTP_ENROLMENT, ROLE_UNLOCK)


def console_routes() -> list[BaseRoute]:
    cases = "/review/cases/{case_id}"
    return [
        public_route("/review/sign-in", auth.sign_in_form),
        public_route("/review/sign-in", auth.sign_in_submit, methods=["POST"]),
        reviewer_route("/review/totp", auth.totp_form, roles=ENROLMENT),
        reviewer_route("/review/totp", auth.totp_confirm, roles=ENROLMENT, methods=["POST"]),
        reviewer_route("/review/sign-out", auth.sign_out, roles=ANY_SESSION, methods=["POST"]),
        reviewer_route("/review/home", auth.home, roles=SESSION_ROLES),
        reviewer_route("/review/city", auth.change_city, roles=SESSION_ROLES, methods=["POST"]),
        reviewer_route("/review/account", auth.account_page, roles=SESSION_ROLES),
        reviewer_route("/review/account/password", auth.change_password, roles=SESSION_ROLES, methods=["POST"]),
        reviewer_route("/review/account/invitations/accept", joining.accept, roles=SESSION_ROLES, methods=["POST"]),
        reviewer_route("/review/account/invitations/decline", joining.decline, roles=SESSION_ROLES,
                       methods=["POST"]),
        public_route("/review/sign-in/passkey-options", sign_in_methods.sign_in_options, methods=["POST"]),
        public_route("/review/sso/{provider}", sign_in_methods.sso_start),
        public_route("/review/sso/{provider}/callback", sign_in_methods.sso_callback),
        reviewer_route("/review/unlock", sign_in_methods.unlock_page, roles=UNLOCK),
        reviewer_route("/review/unlock", sign_in_methods.unlock_submit, roles=UNLOCK, methods=["POST"]),
        reviewer_route("/review/unlock/options", sign_in_methods.unlock_options, roles=UNLOCK, methods=["POST"]),
        reviewer_route("/review/account/passkeys/options", sign_in_methods.registration_options,
                       roles=SESSION_ROLES, methods=["POST"]),
        reviewer_route("/review/account/passkeys", sign_in_methods.register, roles=SESSION_ROLES, methods=["POST"]),
        reviewer_route("/review/account/passkeys/remove", sign_in_methods.remove, roles=SESSION_ROLES,
                       methods=["POST"]),
        public_route("/review/join", joining.join_form),
        public_route("/review/join", joining.join_submit, methods=["POST"]),
        reviewer_route("/review/", inbox.inbox, roles=CONTENT_ROLES),
        reviewer_route("/review/new-report", staff_intake.staff_intake_form, roles=CONTENT_ROLES),
        reviewer_route("/review/new-report", staff_intake.staff_intake_submit, roles=CONTENT_ROLES,
                       methods=["POST"]),
        reviewer_route(cases, case.case_page, roles=CONTENT_ROLES),
        reviewer_route(cases + "/reply", case.reply, roles=CONTENT_ROLES, methods=["POST"]),
        reviewer_route(cases + "/request-information", case.request_information, roles=CONTENT_ROLES,
                       methods=["POST"]),
        reviewer_route(cases + "/note", case.add_note, roles=CONTENT_ROLES, methods=["POST"]),
        reviewer_route(cases + "/status", case.change_status, roles=CONTENT_ROLES, methods=["POST"]),
        reviewer_route(cases + "/assign", case.assign, roles=CONTENT_ROLES, methods=["POST"]),
        reviewer_route(cases + "/redact", case.redact_passage, roles=CONTENT_ROLES, methods=["POST"]),
        reviewer_route(cases + "/redact-item", case.redact_item, roles=CONTENT_ROLES, methods=["POST"]),
        reviewer_route(cases + "/closed-record", case.closed_record, roles=CONTENT_ROLES, methods=["POST"]),
        reviewer_route(cases + "/export.pdf", case.export_pdf, roles=CONTENT_ROLES),
        reviewer_route(cases + "/files.zip", case.export_zip, roles=CONTENT_ROLES),
        reviewer_route(cases + "/items/{item_id}/content", case.item_content, roles=CONTENT_ROLES),
        reviewer_route(cases + "/files/{item_id}", case_files.download, roles=CONTENT_ROLES),
        reviewer_route(cases + "/identity", case_files.identity_form, roles=CONTENT_ROLES),
        reviewer_route(cases + "/identity", case_files.identity_open, roles=CONTENT_ROLES, methods=["POST"]),
        reviewer_route("/review/admin", admin.admin_page, roles=ADMIN),
        reviewer_route("/review/admin/invitations", admin.invite, roles=ADMIN, methods=["POST"]),
        reviewer_route("/review/admin/invitations/withdraw", admin.withdraw_invitation, roles=ADMIN,
                       methods=["POST"]),
        reviewer_route("/review/admin/reviewers/remove", admin.remove_reviewer, roles=ADMIN, methods=["POST"]),
        reviewer_route("/review/admin/restore", admin.restore_access, roles=ADMIN, methods=["POST"]),
        reviewer_route("/review/admin/sign-in-rules", admin.sign_in_rules, roles=ADMIN, methods=["POST"]),
        reviewer_route("/review/admin/sso-links", admin.offer_sso_link, roles=ADMIN, methods=["POST"]),
        reviewer_route("/review/admin/sso-links/remove", admin.remove_sso_link, roles=ADMIN, methods=["POST"]),
        reviewer_route("/review/admin/groups", admin.add_group, roles=ADMIN, methods=["POST"]),
        reviewer_route("/review/admin/groups/members", admin.group_member, roles=ADMIN, methods=["POST"]),
        reviewer_route("/review/admin/routing", admin.route_category, roles=ADMIN, methods=["POST"]),
        reviewer_route("/review/audit", audit_log.audit_log, roles=AUDIT_ROLES),
        reviewer_route("/review/statistics", stats.city_page, roles=STATISTICS_ROLES),
        reviewer_route("/review/statistics/report", stats.city_report, roles=STATISTICS_ROLES),
        reviewer_route("/review/statistics/report.pdf", stats.city_report_pdf, roles=STATISTICS_ROLES),
        reviewer_route("/review/region", stats.region_page, roles=REGION),
        reviewer_route("/review/region/report", stats.region_report, roles=REGION),
        reviewer_route("/review/region/report.pdf", stats.region_report_pdf, roles=REGION),
        *exit_routes(),
    ]


def exit_routes() -> list[BaseRoute]:
    """HR's exit-interview pages (a reviewer of the city's hr group; hotline.web.exit.hr checks the group) and
    the coordinator's published quarters."""
    city = "/review/exit/{city}"
    return [
        reviewer_route(city, exit_hr.home, roles=CONTENT_ROLES),
        reviewer_route(city + "/settings", exit_hr.settings, roles=CONTENT_ROLES, methods=["POST"]),
        reviewer_route(city + "/invitations", exit_hr.invite, roles=CONTENT_ROLES, methods=["POST"]),
        reviewer_route(city + "/analytics", exit_hr.analytics, roles=CONTENT_ROLES),
        reviewer_route(city + "/analytics.csv", exit_hr.analytics_csv, roles=CONTENT_ROLES),
        reviewer_route(city + "/publish", exit_hr.publish, roles=CONTENT_ROLES, methods=["POST"]),
        reviewer_route(city + "/responses", exit_hr.responses, roles=CONTENT_ROLES),
        reviewer_route(city + "/responses/{response_id}", exit_hr.response, roles=CONTENT_ROLES),
        reviewer_route("/review/exit-regional", exit_regional.regional, roles=REGION),
    ]

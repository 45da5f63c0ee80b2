"""A city admin's pages: reviewers (invite, remove, restore access with the recovery key), groups, routing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hotline.access import reviewer
from hotline.forms import text_field
from hotline.rendering import render
from hotline.state import app_state
from intake.accounts import administration, invitations, policy, restore, sso
from intake.accounts.reviewers import ROLES
from intake.categories import DEFAULT_CATEGORIES
from intake.errors import AlreadyExists, InvalidInput
from intake.messages import N_

NOTICES = {"withdrawn": N_("The invitation was withdrawn: its code no longer works."),
           "rules": N_("The city's sign-in rules were changed."),
           "sso-offered": N_("Single sign-on can be linked: the reviewer signs in through it once, within a week, "
                             "with the email of their account."),
           "sso-removed": N_("The single sign-on link was removed."),
           "removed": N_("The reviewer no longer has a role in this city."),
           "restored": N_("Access was restored. Give the reviewer the new password in person; they set up two-step "
                          "sign-in again at their next sign-in."),
           "group": N_("The group was added."), "members": N_("The group's members were changed."),
           "routing": N_("The routing was changed. New cases of that category go to the group chosen.")}


async def admin_page(request: Request, *, problems: dict[str, str] | None = None, status_code: int = 200,
                     extra: dict[str, Any] | None = None) -> Response:
    state, context = app_state(request), reviewer(request)
    data = await run_in_threadpool(administration.city_administration, state.database, context)
    open_invitations = await run_in_threadpool(invitations.open_invitations, state.database, context)
    rules = await run_in_threadpool(policy.city_rules, state.database, context.city_id)
    links = await run_in_threadpool(sso.links_in_city, state.database, context)
    return render(request, "reviewer/admin/index.html", {
        "context": context, "data": data, "roles": ROLES, "categories": DEFAULT_CATEGORIES,
        "invitations": open_invitations, "rules": rules, "links": links,
        "providers": [(name, client.provider.label) for name, client in state.sso_clients.items()
                      if client.domain_provider.serves(context.city_slug)],
        "names": {m.reviewer_id: m.display_name for m in data.members},
        "group_names": {g.group_id: g.name for g in data.groups},
        "group_names_by_slug": {g.slug: g.name for g in data.groups},
        "problems": problems or {}, "notice": NOTICES.get(request.query_params.get("done", "")), **(extra or {}),
    }, status_code=status_code)


async def _act(request: Request, done: str, action: Callable[[Any, Any, FormData], Any]) -> Response:
    state, context = app_state(request), reviewer(request)
    form = await request.form()
    try:
        await run_in_threadpool(action, state, context, form)
    except InvalidInput as invalid:
        return await admin_page(request, problems=invalid.problems, status_code=400)
    except AlreadyExists as refused:
        return await admin_page(request, problems={"form": str(refused)[:1].upper() + str(refused)[1:] + "."},
                                status_code=400)
    return RedirectResponse(f"/review/admin?done={done}", status_code=303)


def _number(form: FormData, name: str) -> int:
    text = text_field(form, name)
    if not (text.isascii() and text.isdigit() and len(text) < 10):
        raise InvalidInput({name: N_("Choose one from the list.")})
    return int(text)


async def invite(request: Request) -> Response:
    """Invite someone: the page answers the same whether their email has an account or not, and shows the code
    once (docs/design.md#joining-a-city-by-invitation)."""
    state, context = app_state(request), reviewer(request)
    form = await request.form()
    try:
        made = await run_in_threadpool(lambda: invitations.invite(
            state.database, state.config, context, email=text_field(form, "email"),
            display_name=text_field(form, "name"), role=text_field(form, "role")))
    except InvalidInput as invalid:
        return await admin_page(request, problems=invalid.problems, status_code=400)
    except AlreadyExists as refused:
        return await admin_page(request, problems={"form": str(refused)[:1].upper() + str(refused)[1:] + "."},
                                status_code=400)
    return await admin_page(request, extra={"made": made})


async def withdraw_invitation(request: Request) -> Response:
    return await _act(request, "withdrawn", lambda state, context, form: invitations.withdraw(
        state.database, context, text_field(form, "invitation")))


async def remove_reviewer(request: Request) -> Response:
    return await _act(request, "removed", lambda state, context, form: administration.remove_from_city(
        state.database, context, _number(form, "reviewer")))


async def restore_access(request: Request) -> Response:
    return await _act(request, "restored", lambda state, context, form: restore.restore_access(
        state.database, state.config, context, email=text_field(form, "email"),
        recovery_key=text_field(form, "recovery_key"), new_password=text_field(form, "new_password")))


async def add_group(request: Request) -> Response:
    return await _act(request, "group", lambda state, context, form: administration.add_group(
        state.database, context, slug=text_field(form, "slug"), name=text_field(form, "name")))


async def group_member(request: Request) -> Response:
    return await _act(request, "members", lambda state, context, form: administration.set_group_member(
        state.database, context, _number(form, "group"), _number(form, "reviewer"),
        text_field(form, "member") == "1"))


async def route_category(request: Request) -> Response:
    return await _act(request, "routing", lambda state, context, form: administration.route_category(
        state.database, context, text_field(form, "category"), _number(form, "group")))


async def sign_in_rules(request: Request) -> Response:
    return await _act(request, "rules", lambda state, context, form: policy.set_rules(
        state.database, context, password_allowed=text_field(form, "password_allowed") == "1",
        require_mfa=text_field(form, "require_mfa") == "1"))


def _provider(state: Any, form: FormData) -> sso.Provider:
    client = state.sso_clients.get(text_field(form, "provider"))
    if client is None:
        raise InvalidInput({"provider": N_("Choose one of the identity providers listed.")})
    provider: sso.Provider = client.domain_provider
    return provider


async def offer_sso_link(request: Request) -> Response:
    return await _act(request, "sso-offered", lambda state, context, form: sso.offer_link(
        state.database, context, _number(form, "reviewer"), _provider(state, form)))


async def remove_sso_link(request: Request) -> Response:
    return await _act(request, "sso-removed", lambda state, context, form: sso.remove_link(
        state.database, context, _number(form, "reviewer"), text_field(form, "provider")))

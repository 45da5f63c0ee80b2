"""The audit log's vocabulary: every action an entry can record, what it means, and its label in English and
Spanish (docs/audit.md lists them with what each entry records).

An action's value is part of each entry's hash (crypto.audit_chain), so a value is never changed: an action that
is no longer written stays a member, marked retired, so that old entries keep their label and still verify.
``intake.audit.append`` refuses any action that is not a member.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AuditAction(StrEnum):
    # Reports and cases
    CASE_SUBMITTED = "case.submitted"
    CASE_ROUTED = "case.routed"
    CASE_ENTERED_BY_STAFF = "case.entered_by_staff"
    CASE_RECORDING_ADDED = "case.recording_added"
    CASE_OPENED_BY_REPORTER = "case.opened_by_reporter"
    CASE_REPORT_KEY_REWRAPPED = "case.report_key_rewrapped"
    CASE_REPORTER_MESSAGE = "case.reporter_message"
    CASE_READ = "case.read"
    CASE_ACCESS_DENIED = "case.access_denied"
    CASE_ITEM_OPENED = "case.item_opened"
    CASE_ATTACHMENT_DOWNLOADED = "case.attachment_downloaded"
    CASE_IDENTITY_OPENED = "case.identity_opened"
    CASE_REPLIED = "case.replied"
    CASE_INFORMATION_REQUESTED = "case.information_requested"
    CASE_NOTE_ADDED = "case.note_added"
    CASE_STATUS_CHANGED = "case.status_changed"
    CASE_ASSIGNED = "case.assigned"
    CASE_REDACTED = "case.redacted"
    CASE_CLOSED_RECORD = "case.closed_record"
    CASE_RECORD_OPENED = "case.record_opened"
    CASE_EXPORTED = "case.exported"
    # Reviewers and their accounts
    REVIEWER_ADDED = "reviewer.added"
    REVIEWER_REMOVED = "reviewer.removed"
    REVIEWER_SIGNED_IN = "reviewer.signed_in"
    REVIEWER_TOTP_ENROLMENT_STARTED = "reviewer.totp_enrolment_started"
    REVIEWER_TOTP_ENROLLED = "reviewer.totp_enrolled"
    REVIEWER_SIGN_IN_FAILED = "reviewer.sign_in_failed"
    REVIEWER_LOCKED = "reviewer.locked"
    REVIEWER_SIGN_IN_DELAYED = "reviewer.sign_in_delayed"
    REVIEWER_ACCOUNT_KEY_MADE = "reviewer.account_key_made"
    REVIEWER_SIGN_IN_REFUSED = "reviewer.sign_in_refused"
    REVIEWER_KEYS_UNLOCKED = "reviewer.keys_unlocked"
    PASSKEY_REGISTERED = "passkey.registered"
    PASSKEY_REMOVED = "passkey.removed"
    SSO_LINK_OFFERED = "sso.link_offered"
    SSO_LINKED = "sso.linked"
    SSO_UNLINKED = "sso.unlinked"
    SIGN_IN_POLICY_CHANGED = "city.sign_in_policy_changed"
    REVIEWER_INVITED = "reviewer.invited"
    REVIEWER_INVITATION_ACCEPTED = "reviewer.invitation_accepted"
    REVIEWER_INVITATION_DECLINED = "reviewer.invitation_declined"
    REVIEWER_INVITATION_WITHDRAWN = "reviewer.invitation_withdrawn"
    REVIEWER_SWITCHED_CITY = "reviewer.switched_city"
    REVIEWER_PASSWORD_CHANGED = "reviewer.password_changed"  # noqa: S105 (an action, not a password)
    REVIEWER_PASSWORD_REWRAPPED = "reviewer.password_rewrapped"  # noqa: S105 (an action, not a password)
    REVIEWER_ACCESS_RESTORED = "reviewer.access_restored"
    REVIEWER_CITY_KEY_CLOSED = "reviewer.city_key_closed"
    # Groups and routing
    GROUP_ADDED = "group.added"
    GROUP_JOINED = "group.joined"
    GROUP_LEFT = "group.left"
    ROUTING_CHANGED = "routing.changed"
    QUESTIONNAIRE_LOADED = "questionnaire.loaded"
    # The city and its keys
    CITY_CREATED = "city.created"
    KEY_ROTATION_STARTED = "key.rotation_started"
    KEY_ROTATED = "key.rotated"
    KEY_GRANT_TAKEN = "key.grant_taken"
    KEY_RECOVERY_KEY_REPLACED = "key.recovery_key_replaced"
    KEY_RECOVERED = "key.recovered"
    KEY_CLEARED_BY_RECOVERY = "key.cleared_by_recovery"
    # Phone
    PHONE_NUMBER_ADDED = "phone.number_added"
    PHONE_NUMBER_REMOVED = "phone.number_removed"
    PHONE_VOICE_DISGUISE_CHANGED = "phone.voice_disguise_changed"
    PHONE_AUDIO_MODE_CHANGED = "phone.audio_mode_changed"
    # Exit interviews
    EXIT_SETTINGS_CHANGED = "exit.settings_changed"
    EXIT_QUESTIONNAIRE_LOADED = "exit.questionnaire_loaded"
    EXIT_INVITATION_CREATED = "exit.invitation_created"
    EXIT_SURVEY_COMPLETED = "exit.survey_completed"
    EXIT_RESPONSE_READ = "exit.response_read"
    EXIT_ANALYTICS_READ = "exit.analytics_read"
    EXIT_QUARTER_PUBLISHED = "exit.quarter_published"
    EXIT_ACCESS_DENIED = "exit.access_denied"
    # Operations and oversight
    RETENTION_RULE_SET = "retention.rule_set"
    RETENTION_PURGED = "retention.purged"
    REMINDER_SENT = "reminder.sent"
    AUDIT_VIEWED = "audit.viewed"


@dataclass(frozen=True)
class ActionInfo:
    meaning: str  # one line: what happened
    records: str  # what the entry's subject and detail hold
    label_en: str  # plain words for the console
    label_es: str
    retired: str = ""  # when set: why nothing writes it any more (old entries keep it)


A = AuditAction
ACTIONS: dict[AuditAction, ActionInfo] = {
    A.CASE_SUBMITTED: ActionInfo(
        "A report arrived, by web, phone or a reviewer's data entry.",
        "subject: the case; detail: category and channel, and urgent: 1 when the reporter said someone is in "
        "danger now. The actor is \"reporter\" or \"phone caller\"; dated to the day and appended at the release "
        "slot after it.",
        "Report received", "Denuncia recibida"),
    A.CASE_ROUTED: ActionInfo(
        "The report was given to a reviewer group.",
        "subject: the case; detail: the category's group. Dated to the day and appended with the report's entry. "
        "Who was excluded, why, and a fallback to the alternate group are sealed, never here.",
        "Sent to a group", "Enviada a un grupo"),
    A.CASE_ENTERED_BY_STAFF: ActionInfo(
        "A reviewer recorded a report received by letter, in person or by a call to HR.",
        "subject: the case; detail: the channel.",
        "Report entered by staff", "Denuncia registrada por el personal"),
    A.CASE_RECORDING_ADDED: ActionInfo(
        "A phone report's recording was fetched, transcribed, sealed and stored.",
        "subject: the case; detail: whether the voice was disguised, whether the audio was kept (0: transcript "
        "only), and the transcription engine or why there is no transcript.",
        "Phone recording stored", "Grabación telefónica guardada"),
    A.CASE_OPENED_BY_REPORTER: ActionInfo(
        "The reporter opened the case with the report key.",
        "subject: the case.",
        "Reporter read the case", "La persona denunciante consultó el caso"),
    A.CASE_REPORT_KEY_REWRAPPED: ActionInfo(
        "The reporter's key, found wrapped under less than the production Argon2id cost when the reporter came "
        "back, was wrapped again at full cost.",
        "subject: the case; detail: the Argon2id memory (KiB) and passes it had and has now. The time is the day "
        "only.",
        "Report key strengthened", "Clave de la denuncia reforzada"),
    A.CASE_REPORTER_MESSAGE: ActionInfo(
        "The reporter added a message (and perhaps files).",
        "subject: the case; detail: how many files were attached.",
        "Reporter added a message", "La persona denunciante añadió un mensaje"),
    A.CASE_READ: ActionInfo(
        "A reviewer opened the case.",
        "subject: the case.",
        "Case opened", "Caso abierto"),
    A.CASE_ACCESS_DENIED: ActionInfo(
        "A reviewer asked for a case they may not read and got not-found.",
        "subject: the case id asked for (cut to 64 characters); detail: the city the reviewer was signed in to.",
        "Access refused", "Acceso denegado"),
    A.CASE_ITEM_OPENED: ActionInfo(
        "A reviewer played or downloaded a file or recording of the case.",
        "subject: the case; detail: the item's position and kind.",
        "File or recording opened", "Archivo o grabación abierta"),
    A.CASE_ATTACHMENT_DOWNLOADED: ActionInfo(
        "A reviewer downloaded an attachment.",
        "subject: the case; detail: the item.",
        "Attachment downloaded", "Archivo adjunto descargado"),
    A.CASE_IDENTITY_OPENED: ActionInfo(
        "A reviewer opened the name the reporter chose to give.",
        "subject: the case; detail: the reason the reviewer gave.",
        "Reporter's name opened", "Nombre de la persona denunciante abierto"),
    A.CASE_REPLIED: ActionInfo(
        "A reviewer replied to the reporter.",
        "subject: the case; detail: whether the reply counts as feedback.",
        "Reply sent to the reporter", "Respuesta enviada a la persona denunciante"),
    A.CASE_INFORMATION_REQUESTED: ActionInfo(
        "A reviewer asked the reporter for more information.",
        "subject: the case.",
        "Information requested", "Información solicitada"),
    A.CASE_NOTE_ADDED: ActionInfo(
        "A reviewer wrote an internal note.",
        "subject: the case.",
        "Internal note added", "Nota interna añadida"),
    A.CASE_STATUS_CHANGED: ActionInfo(
        "The case moved between ISO 37002 stages.",
        "subject: the case; detail: the old and new status, the outcome when concluded, whether it was reopened.",
        "Status changed", "Estado cambiado"),
    A.CASE_ASSIGNED: ActionInfo(
        "The case was assigned to a reviewer, or unassigned.",
        "subject: the case; detail: the assignee.",
        "Assigned", "Asignado"),
    A.CASE_REDACTED: ActionInfo(
        "Part of the case was removed for good.",
        "subject: the case; detail: the item's position and kind, passage or whole item, and how much was "
        "removed (never the removed text).",
        "Part of the report removed", "Parte de la denuncia eliminada"),
    A.CASE_CLOSED_RECORD: ActionInfo(
        "The case was made a closed record under RSMo 610.021.",
        "subject: the case; detail: the subsection relied on.",
        "Made a closed record", "Declarado registro cerrado"),
    A.CASE_RECORD_OPENED: ActionInfo(
        "The case is no longer a closed record.",
        "subject: the case.",
        "Closed record lifted", "Registro cerrado levantado"),
    A.CASE_EXPORTED: ActionInfo(
        "A reviewer exported the case as a PDF, or as a ZIP of that PDF and its files.",
        "subject: the case; detail: the format and, for a ZIP, how many files.",
        "Case exported", "Caso exportado"),
    A.REVIEWER_ADDED: ActionInfo(
        "A person was given a role in the city.",
        "subject: the reviewer; detail: the role.",
        "Reviewer added", "Revisor añadido"),
    A.REVIEWER_REMOVED: ActionInfo(
        "A person's role in the city was taken away.",
        "subject: the reviewer.",
        "Reviewer removed", "Revisor retirado"),
    A.REVIEWER_SIGNED_IN: ActionInfo(
        "A reviewer signed in.",
        "detail: how (password and TOTP, password and passkey, passkey, or single sign-on then passkey or "
        "password) and whether it was a regional (coordinator) sign-in.",
        "Signed in", "Inicio de sesión"),
    A.REVIEWER_TOTP_ENROLMENT_STARTED: ActionInfo(
        "A reviewer without TOTP signed in with a password and was sent to set it up.",
        "nothing beyond the actor.",
        "Started setting up the authenticator", "Comenzó a configurar el autenticador"),
    A.REVIEWER_TOTP_ENROLLED: ActionInfo(
        "A reviewer's TOTP authenticator was set up.",
        "subject: the reviewer when set up by an operator.",
        "Authenticator set up", "Autenticador configurado"),
    A.REVIEWER_SIGN_IN_FAILED: ActionInfo(
        "A sign-in to a known account failed.",
        "subject: the reviewer; detail: which check failed and how many failures in a row.",
        "Sign-in failed", "Inicio de sesión fallido"),
    A.REVIEWER_LOCKED: ActionInfo(
        "Sign-in to an account was paused after repeated failures.",
        "subject: the reviewer; detail: for how long and after how many failures.",
        "Sign-in paused", "Inicio de sesión en pausa",
        retired="no account is locked any more: repeated failures slow sign-in down instead "
                "(reviewer.sign_in_delayed)"),
    A.REVIEWER_SIGN_IN_DELAYED: ActionInfo(
        "After repeated failures, the next sign-in to the account must wait a little (it is never locked).",
        "subject: the reviewer; detail: how many seconds the next attempt waits and after how many failures in a "
        "row.",
        "Sign-in slowed down", "Inicio de sesión ralentizado"),
    A.REVIEWER_ACCOUNT_KEY_MADE: ActionInfo(
        "An account made before account keys signed in with its password: its keys were moved under a new account "
        "key, losing nothing.",
        "nothing beyond the actor.",
        "Account key made", "Clave de cuenta creada"),
    A.REVIEWER_SIGN_IN_REFUSED: ActionInfo(
        "A sign-in was refused by the city's sign-in rules (password sign-in turned off, or the identity provider "
        "did not assert the multi-factor sign-in the city requires).",
        "subject: the reviewer; detail: the method tried and the rule that refused it.",
        "Sign-in refused by the city's rules", "Inicio de sesión rechazado por las reglas de la ciudad"),
    A.REVIEWER_KEYS_UNLOCKED: ActionInfo(
        "After signing in through the city's identity provider, a reviewer unlocked their keys.",
        "detail: with what (passkey or password).",
        "Keys unlocked", "Claves desbloqueadas"),
    A.PASSKEY_REGISTERED: ActionInfo(
        "A reviewer registered a passkey.",
        "detail: whether the passkey unlocks the account key (PRF) or is a second factor only.",
        "Passkey added", "Llave de acceso añadida"),
    A.PASSKEY_REMOVED: ActionInfo(
        "A reviewer removed one of their passkeys; its wrapping of the account key went with it.",
        "nothing beyond the actor.",
        "Passkey removed", "Llave de acceso eliminada"),
    A.SSO_LINK_OFFERED: ActionInfo(
        "An admin allowed a reviewer to link the city's single sign-on once: their next sign-in there whose "
        "verified email matches theirs is linked.",
        "subject: the reviewer; detail: the identity provider's name.",
        "Single sign-on link offered", "Enlace de inicio de sesión único ofrecido"),
    A.SSO_LINKED: ActionInfo(
        "A reviewer's identity at the city's identity provider (issuer and subject) was linked to their account.",
        "subject: the reviewer; detail: the identity provider's name.",
        "Single sign-on linked", "Inicio de sesión único enlazado"),
    A.SSO_UNLINKED: ActionInfo(
        "An admin removed a reviewer's single sign-on link, or an offer of one.",
        "subject: the reviewer; detail: the identity provider's name.",
        "Single sign-on unlinked", "Inicio de sesión único desenlazado"),
    A.SIGN_IN_POLICY_CHANGED: ActionInfo(
        "An admin changed how the city's reviewers may sign in.",
        "detail: whether password sign-in is allowed and whether the identity provider must assert multi-factor "
        "sign-in.",
        "Sign-in rules changed", "Reglas de inicio de sesión cambiadas"),
    A.REVIEWER_INVITED: ActionInfo(
        "An admin invited someone to join the city with a role; the entry is the same whether their email "
        "already had an account or not.",
        "subject: the invitation; detail: the role.",
        "Invitation made", "Invitación creada"),
    A.REVIEWER_INVITATION_ACCEPTED: ActionInfo(
        "The invited person joined the city, signed in to their account or with the invitation code.",
        "subject: the invitation; detail: the role. The actor is the person who joined.",
        "Invitation accepted", "Invitación aceptada"),
    A.REVIEWER_INVITATION_DECLINED: ActionInfo(
        "The invited person, signed in, declined the invitation.",
        "subject: the invitation.",
        "Invitation declined", "Invitación rechazada"),
    A.REVIEWER_INVITATION_WITHDRAWN: ActionInfo(
        "An admin withdrew an invitation before it was used.",
        "subject: the invitation.",
        "Invitation withdrawn", "Invitación retirada"),
    A.REVIEWER_SWITCHED_CITY: ActionInfo(
        "A reviewer of several cities switched to this one.",
        "nothing beyond the actor.",
        "Switched to this city", "Cambió a esta ciudad"),
    A.REVIEWER_PASSWORD_CHANGED: ActionInfo(
        "A reviewer changed their password.",
        "nothing beyond the actor.",
        "Password changed", "Contraseña cambiada"),
    A.REVIEWER_PASSWORD_REWRAPPED: ActionInfo(
        "A reviewer's password record, found below the production Argon2id cost at sign-in, was made again at full "
        "cost, and every key under it wrapped again.",
        "subject: the reviewer; detail: the Argon2id memory (KiB) and passes it had and has now.",
        "Password protection strengthened", "Protección de la contraseña reforzada"),
    A.REVIEWER_ACCESS_RESTORED: ActionInfo(
        "A reviewer's lost password was replaced, with the city's recovery key.",
        "subject: the reviewer; detail: their role and whether the account was new. The actor is the admin, or "
        "\"system\" for `hotline key recover`.",
        "Access restored", "Acceso restablecido"),
    A.REVIEWER_CITY_KEY_CLOSED: ActionInfo(
        "Another city restored this reviewer's access, so their copy of this city's key (under the lost "
        "password) was closed.",
        "subject: the reviewer; detail: the city where access was restored.",
        "City key copy closed", "Copia de la clave de la ciudad cerrada"),
    A.GROUP_ADDED: ActionInfo(
        "A reviewer group was made.",
        "subject: the group.",
        "Group added", "Grupo añadido"),
    A.GROUP_JOINED: ActionInfo(
        "A reviewer joined a group.",
        "subject: the group; detail: the reviewer.",
        "Joined a group", "Se unió a un grupo"),
    A.GROUP_LEFT: ActionInfo(
        "A reviewer left a group.",
        "subject: the group; detail: the reviewer.",
        "Left a group", "Dejó un grupo"),
    A.ROUTING_CHANGED: ActionInfo(
        "A category was sent to another group.",
        "subject: the category; detail: the group.",
        "Routing changed", "Distribución cambiada"),
    A.QUESTIONNAIRE_LOADED: ActionInfo(
        "A new version of a category's questionnaire was loaded.",
        "subject: the category; detail: the version and how many fields.",
        "Questionnaire loaded", "Cuestionario cargado"),
    A.CITY_CREATED: ActionInfo(
        "The city joined the service; the first entry of its chain.",
        "subject: the city's slug.",
        "City created", "Ciudad creada"),
    A.KEY_ROTATION_STARTED: ActionInfo(
        "A rotation of the city key began.",
        "detail: the old and new key versions, whether it makes a new recovery key.",
        "Key rotation started", "Rotación de clave iniciada"),
    A.KEY_ROTATED: ActionInfo(
        "A rotation of the city key finished.",
        "detail: the new version, how many items and exit responses were re-sealed, how many items changed while it "
        "ran and were re-sealed again, how many reviewers were granted the new key and how many could not be.",
        "Key rotated", "Clave rotada"),
    A.KEY_GRANT_TAKEN: ActionInfo(
        "A reviewer took their copy of a rotated city key at sign-in.",
        "detail: the key version.",
        "New city key taken", "Nueva clave de la ciudad recibida"),
    A.KEY_RECOVERY_KEY_REPLACED: ActionInfo(
        "A key rotation gave the city a new recovery key; the old one opens nothing any more.",
        "detail: the key version it guards. Never the key.",
        "Recovery key replaced", "Clave de recuperación sustituida"),
    A.KEY_RECOVERED: ActionInfo(
        "An admin's access was restored from the command line (now reviewer.access_restored).",
        "subject: the reviewer; detail: the role, whether the account was new, how many other cities' keys were "
        "cleared.",
        "Access restored", "Acceso restablecido",
        retired="merged into reviewer.access_restored: one service restores access, from the console or the "
                "command line"),
    A.KEY_CLEARED_BY_RECOVERY: ActionInfo(
        "A reviewer's copy of this city's key was cleared by a recovery elsewhere (now reviewer.city_key_closed).",
        "subject: the reviewer; detail: the city recovered in.",
        "City key copy closed", "Copia de la clave de la ciudad cerrada",
        retired="merged into reviewer.city_key_closed"),
    A.PHONE_NUMBER_ADDED: ActionInfo(
        "A phone number was set to ring through to the city.",
        "subject: the city's own number (never a caller's); detail: the purpose, when it is exit interviews.",
        "Phone number added", "Número de teléfono añadido"),
    A.PHONE_NUMBER_REMOVED: ActionInfo(
        "A phone number no longer rings through to the city.",
        "subject: the city's own number.",
        "Phone number removed", "Número de teléfono retirado"),
    A.PHONE_VOICE_DISGUISE_CHANGED: ActionInfo(
        "The city turned voice disguise of recordings on or off.",
        "detail: on or off.",
        "Voice disguise changed", "Distorsión de voz cambiada"),
    A.PHONE_AUDIO_MODE_CHANGED: ActionInfo(
        "The city chose to keep callers' audio beside its transcript, or the transcript only.",
        "detail: whether audio is kept (0: transcript only).",
        "Phone audio mode changed", "Modo de audio telefónico cambiado"),
    A.EXIT_SETTINGS_CHANGED: ActionInfo(
        "HR changed the city's exit-interview settings.",
        "detail: mode, suppression threshold, invitation days, open link.",
        "Exit interview settings changed", "Configuración de entrevistas de salida cambiada"),
    A.EXIT_QUESTIONNAIRE_LOADED: ActionInfo(
        "A new exit questionnaire version was loaded.",
        "detail: the version.",
        "Exit questionnaire loaded", "Cuestionario de salida cargado"),
    A.EXIT_INVITATION_CREATED: ActionInfo(
        "HR invited a departing employee.",
        "subject: the invitation (never the employee's name).",
        "Exit invitation created", "Invitación de salida creada"),
    A.EXIT_SURVEY_COMPLETED: ActionInfo(
        "A departing employee answered a confidential exit interview (anonymous ones leave no entry).",
        "subject: the invitation; the time is the day only.",
        "Exit interview completed", "Entrevista de salida completada"),
    A.EXIT_RESPONSE_READ: ActionInfo(
        "HR read a confidential exit response.",
        "subject: the response.",
        "Exit response read", "Respuesta de salida leída"),
    A.EXIT_ANALYTICS_READ: ActionInfo(
        "HR read the exit-interview analytics.",
        "detail: the quarter.",
        "Exit analytics read", "Análisis de salida consultado"),
    A.EXIT_QUARTER_PUBLISHED: ActionInfo(
        "HR published a quarter's suppressed exit figures to the partnership.",
        "subject: the quarter.",
        "Exit quarter published", "Trimestre de salida publicado"),
    A.EXIT_ACCESS_DENIED: ActionInfo(
        "Someone asked for exit-interview data they may not read and got not-found.",
        "subject: the response asked for, or detail: the city the reviewer was signed in to.",
        "Exit access refused", "Acceso a salida denegado"),
    A.RETENTION_RULE_SET: ActionInfo(
        "A retention rule was set.",
        "subject: the kind of record; detail: how many days it is kept (none: forever).",
        "Retention rule set", "Regla de conservación fijada"),
    A.RETENTION_PURGED: ActionInfo(
        "A record was purged for good under a retention rule.",
        "subject: the record; detail: the rule and counts of what went (never content).",
        "Purged under retention", "Eliminado por conservación"),
    A.REMINDER_SENT: ActionInfo(
        "A reviewer was emailed the daily count of waiting cases.",
        "subject: the reviewer; detail: how many cases were open.",
        "Reminder sent", "Recordatorio enviado"),
    A.AUDIT_VIEWED: ActionInfo(
        "Someone read this audit log.",
        "detail: the filters used (action, person, first and last day) and the entry the page began after or before, "
        "when any (entries before filters record the page number).",
        "Audit log viewed", "Registro de auditoría consultado"),
}
del A

# What no entry ever records, whatever its action (docs/design.md#threat-model-and-anonymity-rules).
NEVER_RECORDED = (
    "content of any kind: report text, answers, messages, notes, file names, recordings, names a reporter gave",
    "a reporter's or caller's address, user agent, phone number or any other caller field",
    "a time of day for what a reporter or phone caller did (their entries carry the day only)",
    "which reviewer was excluded from a case, why, or that a case went to the alternate group",
    "passwords, TOTP secrets, report keys, recovery keys or any key, passkey PRF outputs, account keys or an "
    "identity provider's client secret",
)


def info(action: str) -> ActionInfo | None:
    try:
        return ACTIONS[AuditAction(action)]
    except ValueError:
        return None


def label(action: str, language: str = "en") -> str:
    """The plain-language label of a stored action, in English or Spanish."""
    found = info(action)
    if found is None:
        return action
    return found.label_es if language == "es" else found.label_en


def checked(action: str) -> str:
    """The stored value of a member of the vocabulary; anything else is a bug, refused before it is hashed."""
    member = AuditAction(action)  # ValueError for an action that is not a member
    if ACTIONS[member].retired:
        raise ValueError(f"{member.value} is retired: {ACTIONS[member].retired}")
    return member.value

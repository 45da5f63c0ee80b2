"""Exit interviews by keypad (docs/design.md#exit-interviews-by-phone): a city's exit number answers with the
language menu, then asks for the invitation's code as digits (intake.exit.hr.phone_code), then reads each
single-choice, rating and 0-10 question with its options, and takes the answer as digits; star skips a question.
At the end the caller may record a closing comment: it is transcribed by the recording job and kept as the typed
``comments`` answer would be, under the same anonymity and suppression rules; its audio is never kept.

The answers so far ride in the sealed call state (hotline.voice.call_state), never in the database, until the
survey is submitted whole (intake.exit.survey.submit_survey): at the last question when there is no comment, or
by the recording job with the comment's transcript.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from twilio.twiml.voice_response import Record, VoiceResponse

from hotline.voice import prompts
from hotline.voice.edge import VoiceCall, twiml
from hotline.voice.prompts import ENGLISH, SPANISH
from intake.errors import InvalidInput
from intake.exit import survey as exit_survey
from intake.exit.hr import PHONE_CODE_DIGITS, code_from_phone
from intake.exit.questionnaire import (
    CHOICE,
    RATING,
    RATING_RANGE,
    SCALE,
    SCALE_RANGE,
    TEXT,
    Question,
    Questionnaire,
    version_row,
)
from intake.exit.questionnaire import from_row as questionnaire_from_row
from intake.exit.survey import UNAVAILABLE, Credential

KIND_EXIT = "exit"
PHONE_TYPES = (CHOICE, RATING, SCALE)
COMMENT_QUESTION = "comments"
# A closing comment is short: three minutes at most (its transcript is the comment, up to 5,000 characters).
COMMENT_MAX_SECONDS = 180

WORDS = {
    ENGLISH: {
        "welcome": "You have reached the {city} exit interview line. Your answers are sent as the city's exit "
                   "interview settings say, and we do not keep your phone number.",
        "enter_code": "Please enter the {digits} digit code from your invitation, then press the pound key.",
        "wrong_code": "That code does not match an invitation. Please check it and try again.",
        "used": "This invitation was already used. Thank you. Goodbye.",
        "expired": "This invitation has expired. Please ask Human Resources for a new one. Goodbye.",
        "intro": "There are {count} questions. Press star to skip any question.",
        "option": "For {label}, press {digit}.",
        "rating": "Press a number from {low}, poor, to {high}, very good.",
        "scale": "Enter a number from {low} to {high}, then press the pound key.",
        "not_an_option": "Sorry, that is not one of the choices.",
        "comment_menu": "To record a closing comment, press 1. To finish without one, press 2.",
        "comment_prompt": "After the tone, say anything else you want the city to know. Please do not say names. "
                          "Only a written transcript of your words will be kept: the recording of your voice is "
                          "deleted. When you are done, press the pound key.",
        "thanks": "Thank you. Your answers were sent. Goodbye.",
        "thanks_comment": "Thank you. Your answers and your comment will be sent. Goodbye.",
    },
    SPANISH: {
        "welcome": "Se ha comunicado con la línea de entrevistas de salida de {city}. Sus respuestas se envían "
                   "según la configuración de la ciudad, y no guardamos su número de teléfono.",
        "enter_code": "Por favor, marque el código de {digits} dígitos de su invitación y luego oprima la tecla "
                      "de número.",
        "wrong_code": "Ese código no corresponde a ninguna invitación. Por favor, revíselo e intente de nuevo.",
        "used": "Esta invitación ya se usó. Gracias. Adiós.",
        "expired": "Esta invitación venció. Por favor, pida una nueva a Recursos Humanos. Adiós.",
        "intro": "Hay {count} preguntas. Oprima asterisco para saltar cualquier pregunta.",
        "option": "Para {label}, oprima {digit}.",
        "rating": "Oprima un número del {low}, malo, al {high}, muy bueno.",
        "scale": "Marque un número del {low} al {high} y luego oprima la tecla de número.",
        "not_an_option": "Lo sentimos, esa no es una de las opciones.",
        "comment_menu": "Para grabar un comentario final, oprima 1. Para terminar sin comentario, oprima 2.",
        "comment_prompt": "Después del tono, diga cualquier otra cosa que quiera que la ciudad sepa. Por favor, no "
                          "diga nombres. Solo se guardará una transcripción escrita de sus palabras: la grabación "
                          "de su voz se borra. Cuando termine, oprima la tecla de número.",
        "thanks": "Gracias. Sus respuestas fueron enviadas. Adiós.",
        "thanks_comment": "Gracias. Sus respuestas y su comentario serán enviados. Adiós.",
    },
}


def text(language: str, name: str, **values: object) -> str:
    return WORDS[prompts.language_or_default(language)][name].format(**values)


def phone_questions(questionnaire: Questionnaire) -> list[Question]:
    """The questions a keypad can answer, in the questionnaire's order (several-choice ones are web only)."""
    return [q for q in questionnaire.questions if q.type in PHONE_TYPES]


def has_comment(questionnaire: Questionnaire) -> bool:
    question = questionnaire.question(COMMENT_QUESTION)
    return question is not None and question.type == TEXT


def answer_for(question: Question, digits: str) -> str | None:
    """The form value the digits choose, "" for a skip (star), or None when they choose nothing."""
    if digits == "*":
        return ""
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 2:
        return None
    number = int(digits)
    if question.type == CHOICE:
        return question.options[number - 1].value if 1 <= number <= len(question.options) else None
    low, high = RATING_RANGE if question.type == RATING else SCALE_RANGE
    return str(number) if low <= number <= high else None


def fields_of(answers: dict[str, str], comment: str = "") -> dict[str, list[str]]:
    fields = {f"q_{qid}": [value] for qid, value in answers.items() if value}
    if comment:
        fields[f"q_{COMMENT_QUESTION}"] = [comment]
    return fields


# --- TwiML -----------------------------------------------------------------------------------------------------

class ExitCalls:
    """The handlers, given the building blocks of hotline.voice.routes (which owns URLs, sealing and saying)."""

    def __init__(self, url: Any, say: Any, seal: Any, opened: Any, goodbye: Any, gather: Any) -> None:
        self.url, self.say, self.seal, self.opened, self.goodbye, self.gather = url, say, seal, opened, goodbye, gather

    def welcome(self, call: VoiceCall, city_slug: str, city_name: str) -> VoiceResponse:
        response = VoiceResponse()
        gather = self.gather(call, self.url(call, "/voice/exit/language", city=city_slug))
        for lang in (ENGLISH, SPANISH):
            self.say(gather, lang, text(lang, "welcome", city=city_name))
            self.say(gather, lang, prompts.text(lang, "language"))
        response.append(gather)
        return response

    def code_prompt(self, call: VoiceCall, city_slug: str, language: str, tries: int,
                    response: VoiceResponse | None = None) -> VoiceResponse:
        response = response or VoiceResponse()
        gather = self.gather(call, self.url(call, "/voice/exit/code", city=city_slug, lang=language, tries=tries),
                             digits=PHONE_CODE_DIGITS, timeout=20, finish_on_key="#")
        self.say(gather, language, text(language, "enter_code", digits=PHONE_CODE_DIGITS))
        response.append(gather)
        return response

    def question(self, call: VoiceCall, state: dict[str, Any], questionnaire: Questionnaire,
                 response: VoiceResponse | None = None) -> VoiceResponse:
        """The next question, or the comment menu, or (no comment question) the survey sent."""
        response = response or VoiceResponse()
        language = state["lang"]
        questions = phone_questions(questionnaire)
        index = state["i"]
        if index >= len(questions):
            return self.comment_menu(call, state, questionnaire, response)
        question = questions[index]
        wide = question.type == SCALE or (question.type == CHOICE and len(question.options) > 9)
        gather = self.gather(call, self.url(call, "/voice/exit/answer", s=self.seal(call, state)),
                             digits=2 if wide else 1, finish_on_key="#" if wide else None)
        if index == 0:
            self.say(gather, language, text(language, "intro", count=len(questions)))
        self.say(gather, language, question.label[language])
        if question.type == CHOICE:
            for digit, option in enumerate(question.options, start=1):
                self.say(gather, language, text(language, "option", label=option.label[language], digit=digit))
        elif question.type == RATING:
            self.say(gather, language, text(language, "rating", low=RATING_RANGE[0], high=RATING_RANGE[1]))
        else:
            self.say(gather, language, text(language, "scale", low=SCALE_RANGE[0], high=SCALE_RANGE[1]))
        response.append(gather)
        # No key at all: the question is skipped, as an unanswered question on the web is.
        response.redirect(self.url(call, "/voice/exit/answer", s=self.seal(call, state), skip=1), method="POST")
        return response

    def comment_menu(self, call: VoiceCall, state: dict[str, Any], questionnaire: Questionnaire,
                     response: VoiceResponse) -> VoiceResponse:
        language = state["lang"]
        if not has_comment(questionnaire):
            return response  # the caller sends the survey (see ``answer``)
        gather = self.gather(call, self.url(call, "/voice/exit/comment", s=self.seal(call, state)))
        self.say(gather, language, text(language, "comment_menu"))
        response.append(gather)
        response.redirect(self.url(call, "/voice/exit/comment", s=self.seal(call, state), skip=1), method="POST")
        return response

    def record_comment(self, call: VoiceCall, state: dict[str, Any], max_seconds: int) -> VoiceResponse:
        response = VoiceResponse()
        language = state["lang"]
        self.say(response, language, text(language, "comment_prompt"))
        token = self.seal(call, {**state, "kind": KIND_EXIT})
        response.append(Record(
            action=self.url(call, "/voice/exit/recorded", s=token), method="POST", max_length=max_seconds,
            timeout=10, finish_on_key="#", play_beep=True, trim="trim-silence", transcribe=False,
            recording_status_callback=self.url(call, "/voice/recording-status", s=token),
            recording_status_callback_method="POST", recording_status_callback_event="completed absent"))
        # An empty recording: Twilio goes on here; the answers are sent without a comment.
        response.redirect(self.url(call, "/voice/exit/comment", s=self.seal(call, state), skip=1), method="POST")
        return response


async def load_questionnaire(call: VoiceCall, city_id: int, questionnaire_id: int) -> Questionnaire:
    def read() -> Questionnaire:
        with call.database.read() as session:
            return questionnaire_from_row(version_row(session, city_id, questionnaire_id))

    return await run_in_threadpool(read)


async def open_by_code(call: VoiceCall, digits: str) -> exit_survey.Survey | str:
    """The survey the keyed code opens, or the name of the notice to say ("wrong_code", "used", "expired")."""
    code = code_from_phone(digits)
    if code is None:
        return "wrong_code"
    try:
        return await run_in_threadpool(exit_survey.open_survey, call.database, call.config, Credential("code", code))
    except UNAVAILABLE as unavailable:
        return {"unknown": "wrong_code"}.get(unavailable.notice, unavailable.notice)


async def submit(call: VoiceCall, state: dict[str, Any]) -> bool:
    """Send the answers keyed so far; False when the invitation can no longer answer or the questionnaire
    changed meanwhile (nothing is stored then)."""
    credential = Credential.decode(str(state.get("cred", "")))
    if credential is None:
        return False
    try:
        await run_in_threadpool(exit_survey.submit_survey, call.database, call.config, credential,
                                str(state.get("q", "")), fields_of(dict(state.get("a", {}))))
    except (*UNAVAILABLE, InvalidInput):
        return False
    return True


def response_text(response: VoiceResponse) -> Response:
    return twiml(response)

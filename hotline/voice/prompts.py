"""What the phone says, in English (en-US) and Spanish (es-MX).

Kept short: a caller listens once and cannot scroll back. Digits are read one by one in groups of four, with a
pause between groups, as they are shown on the web (crypto.report_keys.format_report_key).
"""

from __future__ import annotations

from crypto.params import REPORT_KEY_DIGITS, REPORT_KEY_GROUP

ENGLISH = "en"
SPANISH = "es"
LANGUAGES = (ENGLISH, SPANISH)
# Twilio <Say> language codes and Amazon Polly voices that speak them (Twilio, "TwiML Voice: <Say>").
SAY_LANGUAGE = {ENGLISH: "en-US", SPANISH: "es-MX"}
SAY_VOICE = {ENGLISH: "Polly.Joanna", SPANISH: "Polly.Mia"}

CATEGORY_NAMES = {
    ENGLISH: {
        "fraud-waste-abuse": "fraud, waste or abuse",
        "ethics-conflict": "ethics or a conflict of interest",
        "harassment-discrimination": "harassment or discrimination",
        "safety": "safety",
        "other": "something else",
    },
    SPANISH: {
        "fraud-waste-abuse": "fraude, desperdicio o abuso",
        "ethics-conflict": "ética o conflicto de intereses",
        "harassment-discrimination": "acoso o discriminación",
        "safety": "seguridad",
        "other": "otro asunto",
    },
}

STATUS_NAMES = {
    ENGLISH: {"received": "received, not yet reviewed", "assessing": "being assessed",
              "investigating": "being investigated", "concluded": "concluded"},
    SPANISH: {"received": "recibido, todavía sin revisar", "assessing": "en evaluación",
              "investigating": "en investigación", "concluded": "concluido"},
}

TEXT = {
    ENGLISH: {
        "welcome_city": "You have reached the {city} ethics and safety hotline. This call is not traced and we do "
                        "not keep your phone number.",
        "welcome_shared": "You have reached the regional ethics and safety hotline. This call is not traced and we "
                          "do not keep your phone number.",
        "language": "For English, press 1.",
        "city_menu": "Which city do you work for?",
        "city_option": "For {city}, press {digit}.",
        "main_menu": "To make a new report, press 1. To follow up on a report you already made, press 2.",
        "category_menu": "What is your report about?",
        "category_option": "For {category}, press {digit}.",
        "not_an_option": "Sorry, that is not one of the choices.",
        "no_choice": "We did not hear a choice.",
        "record_prompt": "After the tone, say what happened: who, what, when and where. You can talk for up to "
                         "{minutes} minutes. You do not have to give your name. Your voice will be disguised "
                         "before anyone hears it. When you are done, press the pound key.",
        "record_prompt_plain": "After the tone, say what happened: who, what, when and where. You can talk for up "
                               "to {minutes} minutes. You do not have to give your name. When you are done, press "
                               "the pound key.",
        "record_prompt_transcript": "After the tone, say what happened: who, what, when and where. You can talk "
                                    "for up to {minutes} minutes. You do not have to give your name. Only a "
                                    "written transcript of your words will be kept: the recording of your voice "
                                    "is deleted. When you are done, press the pound key.",
        "nothing_heard": "We did not hear a recording. Let's try again.",
        "received": "Thank you. Your report was received.",
        "key_intro": "Your report key is {digits} digits long. Write it down and keep it somewhere safe: it is "
                     "the only way to hear replies or add to your report, by phone or on the website. Here is "
                     "your key.",
        "key_again": "Once more, your key is:",
        "key_menu": "To hear your key again, press 1. To end the call, press 9 or hang up.",
        "goodbye": "Thank you for calling. Goodbye.",
        "already_received": "Thank you. Your report was already received. Goodbye.",
        "enter_key": "Please enter your {digits} digit report key, then press the pound key.",
        "wrong_key": "That key does not match a report. Please check it and try again.",
        "too_many": "There have been too many attempts. Please try again later. Goodbye.",
        "status": "Your report, made on {date}, is {status}.",
        "no_replies": "There are no replies yet.",
        "reply_count": "There are {count} replies.",
        "one_reply": "There is one reply.",
        "reply": "Reply from {date}:",
        "follow_up_menu": "To add a recording to your report, press 1. To hear this again, press 2. To end the "
                          "call, press 9 or hang up.",
        "recording_added": "Thank you. Your recording will be added to your report. Goodbye.",
        "unknown_number": "This number is not taking hotline calls. Please check the number and call again. "
                          "Goodbye.",
        "error": "Sorry, the hotline cannot take your call right now. Please call again later. Goodbye.",
    },
    SPANISH: {
        "welcome_city": "Se ha comunicado con la línea de ética y seguridad de {city}. Esta llamada no se rastrea "
                        "y no guardamos su número de teléfono.",
        "welcome_shared": "Se ha comunicado con la línea regional de ética y seguridad. Esta llamada no se rastrea "
                          "y no guardamos su número de teléfono.",
        "language": "Para español, oprima 2.",
        "city_menu": "¿Para qué ciudad trabaja?",
        "city_option": "Para {city}, oprima {digit}.",
        "main_menu": "Para hacer un nuevo reporte, oprima 1. Para dar seguimiento a un reporte que ya hizo, "
                     "oprima 2.",
        "category_menu": "¿De qué trata su reporte?",
        "category_option": "Para {category}, oprima {digit}.",
        "not_an_option": "Lo sentimos, esa no es una de las opciones.",
        "no_choice": "No escuchamos ninguna opción.",
        "record_prompt": "Después del tono, diga lo que pasó: quién, qué, cuándo y dónde. Puede hablar hasta "
                         "{minutes} minutos. No tiene que dar su nombre. Su voz será disfrazada antes de que alguien "
                         "la escuche. Cuando termine, oprima la tecla de número.",
        "record_prompt_plain": "Después del tono, diga lo que pasó: quién, qué, cuándo y dónde. Puede hablar hasta "
                               "{minutes} minutos. No tiene que dar su nombre. Cuando termine, oprima la tecla de "
                               "número.",
        "record_prompt_transcript": "Después del tono, diga lo que pasó: quién, qué, cuándo y dónde. Puede hablar "
                                    "hasta {minutes} minutos. No tiene que dar su nombre. Solo se guardará una "
                                    "transcripción escrita de sus palabras: la grabación de su voz se borra. "
                                    "Cuando termine, oprima la tecla de número.",
        "nothing_heard": "No escuchamos ninguna grabación. Intentemos de nuevo.",
        "received": "Gracias. Recibimos su reporte.",
        "key_intro": "Su clave de reporte tiene {digits} dígitos. Anótela y guárdela en un lugar seguro: es la "
                     "única manera de escuchar respuestas o agregar información, por teléfono o en el sitio web. "
                     "Esta es su clave.",
        "key_again": "Una vez más, su clave es:",
        "key_menu": "Para escuchar su clave otra vez, oprima 1. Para terminar la llamada, oprima 9 o cuelgue.",
        "goodbye": "Gracias por llamar. Adiós.",
        "already_received": "Gracias. Su reporte ya fue recibido. Adiós.",
        "enter_key": "Por favor, marque su clave de reporte de {digits} dígitos y luego oprima la tecla de número.",
        "wrong_key": "Esa clave no corresponde a ningún reporte. Por favor, revísela e intente de nuevo.",
        "too_many": "Hubo demasiados intentos. Por favor, intente más tarde. Adiós.",
        "status": "Su reporte, hecho el {date}, está {status}.",
        "no_replies": "Todavía no hay respuestas.",
        "reply_count": "Hay {count} respuestas.",
        "one_reply": "Hay una respuesta.",
        "reply": "Respuesta del {date}:",
        "follow_up_menu": "Para agregar una grabación a su reporte, oprima 1. Para escuchar esto otra vez, "
                          "oprima 2. Para terminar la llamada, oprima 9 o cuelgue.",
        "recording_added": "Gracias. Su grabación se agregará a su reporte. Adiós.",
        "unknown_number": "Este número no recibe llamadas de la línea de denuncias. Por favor, revise el número y "
                          "vuelva a llamar. Adiós.",
        "error": "Lo sentimos, la línea no puede atender su llamada en este momento. Por favor, llame más "
                 "tarde. Adiós.",
    },
}


def language_or_default(value: str) -> str:
    return value if value in LANGUAGES else ENGLISH


def text(language: str, name: str, **values: object) -> str:
    return TEXT[language_or_default(language)][name].format(**values)


def spoken_digits(report_key: str) -> str:
    """``12345678...`` -> ``1 2 3 4. 5 6 7 8. ...``: one digit at a time, a pause after each group."""
    groups = [report_key[i : i + REPORT_KEY_GROUP] for i in range(0, len(report_key), REPORT_KEY_GROUP)]
    return " ".join(" ".join(group) + "." for group in groups)


def key_digits() -> int:
    return REPORT_KEY_DIGITS

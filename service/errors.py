"""One table: every error type, the HTTP status it gives and what the user reads (Dutch).

The app's one handler (service/app.py) asks :func:`problem` and renders the answer as JSON or
as the error page. A type is found through its classes, most specific first, so a subclass
may have its own row. Anything not in the table is our fault: 500, with a code the user
can quote and the same code in the log.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from schakel.errors import (
    AnalyticsPendingError,
    CandidateRefusedError,
    Forbidden,
    GraphValidationError,
    ImportFormatError,
    InvalidQueryError,
    LoginRequired,
    MatcherBusyError,
    NodeNotFoundError,
    NotAMemberError,
    OutcomeDataError,
    ScopeError,
    StoreError,
    TransitionError,
    UnknownPlaceError,
    UnknownReferenceError,
    WriteConflictError,
)

from .access import AccountError

__all__ = ["Problem", "TABLE", "problem", "UNEXPECTED"]

logger = logging.getLogger(__name__)
UNEXPECTED = "Er ging iets mis aan onze kant. Noem code {code} als u contact opneemt."
HTTP_NL = {400: "Dit verzoek is niet te lezen: stuur UTF-8-tekst, als geldige JSON of als "
                "formulier.",
           404: "Dit adres bestaat niet.", 405: "Dat kan op dit adres niet.",
           413: "Dat is te groot om te versturen."}
HTTP_OTHER = "Dit verzoek kunnen we zo niet beantwoorden."  # never the framework's English


@dataclass(frozen=True)
class Problem:
    """What the user gets: a status, a detail (text, or one entry per field) and, for an
    unexpected error, the code that is also in the log."""

    status: int
    detail: Any
    headers: Mapping[str, str] | None = None
    request_id: str | None = None


def _where(request: Request) -> str:
    return "query" if request.method == "GET" else "body"


def _field(where: str, field: str, kind: str) -> Callable[[Any, Request], Any]:
    """A detail naming one field (``where`` None: query or body, by the request's method)."""

    def describe(exc: Any, request: Request) -> Any:
        name = getattr(exc, field, field)
        return [{"loc": [where or _where(request), name], "msg": str(exc), "type": kind}]

    return describe


def _transition(exc: TransitionError, _request: Request) -> Any:
    return [{"loc": ["body", "action"], "msg": str(exc), "type": "transition",
             "state": exc.state}]


def _refused(exc: CandidateRefusedError, _request: Request) -> Any:
    return [{"loc": ["body", "candidate"], "msg": str(exc), "type": exc.rule}]


def _invalid_graph(exc: GraphValidationError, _request: Request) -> Any:
    return [{"loc": ["body", str(p.get("item")), p.get("field")], "msg": p.get("message"),
             "type": "graph_validation"} for p in exc.problems]


# pydantic's messages are English: the common ones in Dutch, by error type.
_PYDANTIC_NL = {
    "missing": "Dit veld is verplicht.",
    "extra_forbidden": "Dit veld kennen we niet.",
    "string_too_short": "Te kort: minstens {min_length} teken(s).",
    "string_too_long": "Te lang: hoogstens {max_length} tekens.",
    "too_short": "Te weinig: minstens {min_length}.",
    "too_long": "Te veel: hoogstens {max_length}.",
    "greater_than": "Moet groter zijn dan {gt}.",
    "greater_than_equal": "Moet {ge} of meer zijn.",
    "less_than": "Moet kleiner zijn dan {lt}.",
    "less_than_equal": "Mag hoogstens {le} zijn.",
    "int_parsing": "Moet een heel getal zijn.",
    "int_type": "Moet een heel getal zijn.",
    "int_from_float": "Moet een heel getal zijn.",
    "float_parsing": "Moet een getal zijn.",
    "float_type": "Moet een getal zijn.",
    "finite_number": "Moet een getal zijn.",
    "bool_parsing": "Moet waar of onwaar (true of false) zijn.",
    "bool_type": "Moet waar of onwaar (true of false) zijn.",
    "string_type": "Moet tekst zijn.",
    "list_type": "Moet een lijst zijn.",
    "dict_type": "Moet een object zijn.",
    "model_attributes_type": "Moet een object zijn.",
    "literal_error": "Kies uit: {expected}.",
    "enum": "Kies uit: {expected}.",
    "string_pattern_mismatch": "Heeft niet de goede vorm.",
    "json_invalid": "Dit is geen geldige JSON.",
    "json_type": "Dit is geen geldige JSON.",
    "string_unicode": "Moet gewone tekst zijn (UTF-8).",
    "string_sub_type": "Moet tekst zijn.",
    "bytes_type": "Moet tekst zijn.",
    "none_required": "Moet leeg zijn.",
    "set_type": "Moet een lijst zijn.",
    "tuple_type": "Moet een lijst zijn.",
    "iterable_type": "Moet een lijst zijn.",
    "mapping_type": "Moet een object zijn.",
    "is_instance_of": "Deze waarde klopt niet.",
    "union_tag_invalid": "Kies uit: {expected_tags}.",
    "union_tag_not_found": "Hier hoort een soort bij.",
    "date_parsing": "Moet een datum zijn (JJJJ-MM-DD).",
    "date_from_datetime_parsing": "Moet een datum zijn (JJJJ-MM-DD).",
    "date_type": "Moet een datum zijn (JJJJ-MM-DD).",
    "datetime_parsing": "Moet een tijdstip zijn (JJJJ-MM-DDTUU:MM).",
    "datetime_type": "Moet een tijdstip zijn (JJJJ-MM-DDTUU:MM).",
    "url_parsing": "Moet een webadres zijn.",
    "url_type": "Moet een webadres zijn.",
    "uuid_parsing": "Heeft niet de goede vorm.",
    "multiple_of": "Moet een veelvoud van {multiple_of} zijn.",
    "decimal_parsing": "Moet een getal zijn.",
    "assertion_error": "Deze waarde klopt niet.",
    "frozen_field": "Dit veld kan niet worden veranderd.",
    "missing_argument": "Dit veld is verplicht.",
    "unexpected_keyword_argument": "Dit veld kennen we niet.",
}


def _dutch(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "value_error":  # a validator of ours raised ValueError with a Dutch text
        return str(error.get("msg", "")).removeprefix("Value error, ")
    template = _PYDANTIC_NL.get(kind, "Deze waarde klopt niet.")
    ctx = {k: str(v).replace(" or ", " of ") for k, v in (error.get("ctx") or {}).items()}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split(":")[0] + "."


def _invalid_request(exc: RequestValidationError, _request: Request) -> Any:
    return [{"loc": list(e["loc"]), "msg": _dutch(e), "type": e["type"]} for e in exc.errors()]


def _text(exc: Exception, _request: Request) -> Any:
    return str(exc)


# type -> (status, detail). Errors of the asker's input are 422, a state that refuses the
# step 409, a store that cannot be reached now 503.
TABLE: dict[type[Exception], tuple[int, Callable[[Any, Request], Any]]] = {
    LoginRequired: (401, lambda _e, _r: "log in: stuur Authorization: Bearer <sleutel>"),
    Forbidden: (403, lambda e, _r: f"Dit mag uw account niet: {e}."),
    NotAMemberError: (403, _text),
    NodeNotFoundError: (404, lambda e, _r: f"niet gevonden: {e.node_id}"),
    TransitionError: (409, _transition),
    CandidateRefusedError: (409, _refused),
    WriteConflictError: (409, _text),
    AccountError: (422, lambda e, _r: [{"loc": ["body"], "msg": str(e), "type": "account"}]),
    UnknownReferenceError: (422, _field("", "field", "unknown_reference")),
    UnknownPlaceError: (422, lambda e, r: [{"loc": [_where(r), "place"], "msg": str(e),
                                            "type": "unknown_place"}]),
    ScopeError: (422, _field("query", "field", "scope")),
    InvalidQueryError: (422, _field("", "field", "invalid_query")),
    OutcomeDataError: (422, _field("body", "field", "outcome_data")),
    GraphValidationError: (422, _invalid_graph),
    ImportFormatError: (422, lambda e, _r: [{"loc": ["body"], "msg": str(e), "type": "format"}]),
    RequestValidationError: (422, _invalid_request),
    MatcherBusyError: (503, _text),
    AnalyticsPendingError: (503, _text),
    StoreError: (503, _text),  # unreachable, busy or broken: try again later
}
HEADERS = {LoginRequired: {"WWW-Authenticate": "Bearer"}, MatcherBusyError: {"Retry-After": "60"},
           AnalyticsPendingError: {"Retry-After": "30"}}


def problem(exc: Exception, request: Request) -> Problem:
    """The status and the Dutch detail for ``exc``; an unexpected error is logged with a
    fresh code, which the detail names."""
    if isinstance(exc, HTTPException):  # Starlette's own (an unknown address): its status
        return Problem(exc.status_code, HTTP_NL.get(exc.status_code, HTTP_OTHER), exc.headers)
    for cls in type(exc).__mro__:
        if cls in TABLE:
            status, describe = TABLE[cls]
            if status == 503:
                logger.warning("%s %s: %s", request.method, request.url.path, exc)
            return Problem(status, describe(exc, request), HEADERS.get(cls))  # type: ignore[arg-type]
    # The request's own id (logged with every line of it) is the code the user can quote.
    code = request.scope.get("state", {}).get("request_id") or secrets.token_hex(4)
    logger.error("unexpected error, code %s, on %s %s", code, request.method, request.url.path,
                 exc_info=exc)
    return Problem(500, UNEXPECTED.format(code=code), {"X-Request-ID": code}, code)

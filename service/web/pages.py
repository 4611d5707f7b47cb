"""Dutch HTML pages, rendered on the server; they work without JavaScript."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from schakel.errors import InvalidQueryError
from schakel.graph.model import Member, Practice

from ..application import directory, members
from ..auth import MemberDep
from ..csrf import csrf_field
from ..deps import StateDep
from ..views import member_public, practice_public
from . import charts, formatting
from .menu import menu

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)
PAGE = 25

ROLE_NAMES = {
    "member": "lid", "expert": "expert", "ambassador": "ambassadeur", "verbinder": "verbinder",
    "ervaringsdeskundige": "ervaringsdeskundige",
}
templates.env.globals["role_names"] = ROLE_NAMES
templates.env.globals["csrf_field"] = csrf_field  # in every <form method="post">
DUTCH_TIME = ZoneInfo("Europe/Amsterdam")


def _local(stamp: str) -> str:
    """An ISO time (UTC) as Dutch wall-clock time, to the minute.

    >>> _local("2026-07-01T10:00:00+00:00"), _local("2026-01-05T10:00:00+00:00")
    ('2026-07-01 12:00', '2026-01-05 11:00')
    """
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(DUTCH_TIME).strftime("%Y-%m-%d %H:%M")


def _day(stamp: str) -> str:
    """The Dutch calendar day of an ISO time (UTC): 23:30 UTC on 1 July is 2 July."""
    return _local(stamp)[:10]


templates.env.filters["lokaal"] = _local
templates.env.filters["dag"] = _day
templates.env.globals["menu"] = menu
templates.env.globals["bars"] = charts.bars
formatting.register(templates.env)
Text = Annotated[str | None, Query(max_length=200)]


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def one_of(value: str | None, options: Mapping[str, str] | Sequence[str], field: str,
           what: str) -> str | None:
    """An optional choice from the address: empty is "not given"; anything else must be one
    of ``options`` (value -> Dutch name), or the page says so instead of ignoring it.

    Raises
    ------
    InvalidQueryError : an unknown value (422, with the choices in Dutch).
    """
    value = _clean(value)
    if value is None or value in options:
        return value
    names = options.values() if isinstance(options, Mapping) else options
    raise InvalidQueryError(field, f"Onbekende {what} {value!r}. Kies uit: {', '.join(names)}.")


def _pages(request: Request, count: int, offset: int) -> dict[str, Any]:
    params = {k: v for k, v in request.query_params.items() if k != "offset" and v}

    def link(at: int) -> str:
        return "?" + urlencode({**params, "offset": at})

    return {
        "count": count, "offset": offset, "shown_from": offset + 1 if count else 0,
        "shown_to": min(offset + PAGE, count),
        "prev": link(max(0, offset - PAGE)) if offset > 0 else None,
        "next": link(offset + PAGE) if offset + PAGE < count else None,
    }


def _choices(state: StateDep) -> dict[str, Any]:
    return {"themes": directory.assignable_themes(state), "domains": directory.domains(state)}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, state: StateDep) -> HTMLResponse:
    seen = directory.overview(state)
    return templates.TemplateResponse(request, "home.html", {
        "counts": seen.counts, "top_themes": seen.top_themes,
        "theme_rows": [(theme.name, n) for n, theme in seen.top_themes],
        "communities": seen.communities, "regions": seen.regions,
    })


@router.get("/leden", response_class=HTMLResponse)
def members_page(request: Request, state: StateDep, who: MemberDep, thema: Text = None,
                 plaats: Text = None, domein: Text = None, rol: Text = None,
                 offset: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    thema, plaats, domein, rol = map(_clean, (thema, plaats, domein, rol))
    role = one_of(rol, ROLE_NAMES, "rol", "rol")
    ids = members.find_members(state, who, theme=thema, region=plaats, domain=domein,
                               role=role)
    page = [member_public(state.store, m, who.viewer)
            for m in state.store.get_many(ids[offset : offset + PAGE])
            if isinstance(m, Member)]
    return templates.TemplateResponse(request, "members.html", {
        "members": page, "filters": {"thema": thema, "plaats": plaats, "domein": domein,
                                     "rol": role},
        "paging": _pages(request, len(ids), offset), "places": directory.place_names(state),
        **_choices(state),
    })


@router.get("/leden/{member_id}", response_class=HTMLResponse)
def member_page(request: Request, member_id: str, state: StateDep,
                who: MemberDep) -> HTMLResponse:
    member = members.read_member(state, who, member_id)
    return templates.TemplateResponse(request, "member.html",
                                      {"member": member_public(state.store, member, who.viewer)})


@router.get("/praktijkvoorbeelden", response_class=HTMLResponse)
def practices_page(request: Request, state: StateDep, thema: Text = None, plaats: Text = None,
                   offset: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    thema, plaats = _clean(thema), _clean(plaats)
    ids = directory.practice_ids(state, theme=thema, region=plaats)
    page = [practice_public(state.store, p)
            for p in state.store.get_many(ids[offset : offset + PAGE])
            if isinstance(p, Practice)]
    return templates.TemplateResponse(request, "practices.html", {
        "practices": page, "filters": {"thema": thema, "plaats": plaats},
        "paging": _pages(request, len(ids), offset), "places": directory.place_names(state),
        **_choices(state),
    })


def error_page(request: Request, status: int, detail: Any,
               headers: Mapping[str, str] | None = None) -> HTMLResponse:
    if isinstance(detail, list):
        messages = [str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail]
    else:
        messages = [str(detail)]
    title = {403: "Geen toegang", 404: "Niet gevonden", 409: "Dat kan nu niet",
             422: "Dat klopt niet helemaal"}.get(status, "Er ging iets mis")
    referer = request.headers.get("referer", "")
    base = str(request.base_url)
    back = "/" + referer[len(base):] if referer.startswith(base) else None
    return templates.TemplateResponse(request, "error.html", {
        "title": title, "messages": messages, "status": status, "back": back},
        status_code=status, headers=headers)

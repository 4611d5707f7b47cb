from typing import Annotated

from fastapi import APIRouter, Query

from schakel.errors import NodeNotFoundError, UnknownReferenceError
from schakel.graph.model import ORG_KINDS, Organisation

from ..deps import PagingDep, StateDep, StoreDep
from ..schemas import OrganisationPublic, Page
from ..views import organisation_public

router = APIRouter(prefix="/organisations", tags=["organisations"])
FilterParam = Annotated[str | None, Query(description="Id or (Dutch) name.")]


@router.get("", response_model=Page[OrganisationPublic])
def list_organisations(state: StateDep, paging: PagingDep, region: FilterParam = None,
                       domain: FilterParam = None,
                       kind: Annotated[str | None, Query(description=", ".join(ORG_KINDS))] = None,
                       ) -> Page[OrganisationPublic]:
    ids = state.filters.ids("Organisation", region=region, domain=domain)
    if kind is not None:
        if kind not in ORG_KINDS:
            raise UnknownReferenceError("kind", kind, "soort organisatie")
        props = state.store.props_of(ids)
        ids = [i for i in ids if props[i].get("kind") == kind]
    page = state.store.get_many(ids[paging.offset : paging.offset + paging.limit])
    return Page[OrganisationPublic](
        data=[organisation_public(state.store, o) for o in page],  # type: ignore[arg-type]
        count=len(ids), offset=paging.offset, limit=paging.limit)


@router.get("/{organisation_id}", response_model=OrganisationPublic)
def get_organisation(organisation_id: str, store: StoreDep) -> OrganisationPublic:
    org = store.get(organisation_id)
    if not isinstance(org, Organisation):
        raise NodeNotFoundError(organisation_id)
    return organisation_public(store, org)

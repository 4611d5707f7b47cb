from typing import Annotated

from fastapi import APIRouter, Query

from schakel.errors import NodeNotFoundError, UnknownReferenceError
from schakel.graph.model import ORG_KINDS, Organisation

from ..deps import FilterParam, PagingDep, StateDep, StoreDep
from ..schemas import OrganisationPublic, Page
from ..views import organisation_public

router = APIRouter(prefix="/organisations", tags=["organisations"])


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
    store = state.store
    return Page[OrganisationPublic](**paging.page(
        ids, lambda i: organisation_public(store, store.require(i))))


@router.get("/{organisation_id}", response_model=OrganisationPublic)
def get_organisation(organisation_id: str, store: StoreDep) -> OrganisationPublic:
    org = store.get(organisation_id)
    if not isinstance(org, Organisation):
        raise NodeNotFoundError(organisation_id)
    return organisation_public(store, org)

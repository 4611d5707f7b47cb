"""Organisations in the network."""

from typing import Annotated

from fastapi import APIRouter, Query

from schakel.graph.model import ORG_KINDS

from ..application import directory
from ..deps import FilterParam, IdParam, PagingDep, StateDep
from ..schemas import OrganisationPublic, Page
from ..views import organisation_public

router = APIRouter(prefix="/organisations", tags=["organisations"])


@router.get("", response_model=Page[OrganisationPublic])
def list_organisations(state: StateDep, paging: PagingDep, region: FilterParam = None,
                       domain: FilterParam = None,
                       kind: Annotated[str | None, Query(max_length=200,
                                                         description=", ".join(ORG_KINDS))] = None,
                       ) -> Page[OrganisationPublic]:
    ids = directory.organisation_ids(state, region=region, domain=domain, kind=kind)
    store = state.store
    return Page[OrganisationPublic](**paging.page(
        ids, lambda i: organisation_public(store, store.require(i))))


@router.get("/{organisation_id}", response_model=OrganisationPublic)
def get_organisation(organisation_id: IdParam, state: StateDep) -> OrganisationPublic:
    return organisation_public(state.store, directory.organisation(state, organisation_id))

from typing import Annotated, Any

from fastapi import APIRouter, Body

from schakel.graph.exchange import check_document, import_document

from ..deps import StateDep
from ..schemas import ImportResult

router = APIRouter(tags=["exchange"])


@router.post("/import", response_model=ImportResult)
def import_exchange(state: StateDep, document: Annotated[dict[str, Any], Body()]) -> ImportResult:
    """Import an exchange document. Good rows are written (in batches, each all-or-nothing);
    every bad row is reported with the field that is wrong. A document that is not an
    exchange document at all gives 422 and writes nothing."""
    report = import_document(state.store, check_document(document), gazetteer=state.gazetteer)
    return ImportResult(**report.as_dict())

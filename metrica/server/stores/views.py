"""Owner store list: `GET /stores`."""

from __future__ import annotations

from fastapi import APIRouter

from metrica.server.deps import CurrentUser, SessionDep
from metrica.server.stores import service
from metrica.server.stores.schemas import StorePublic, StoresPublic

router = APIRouter(tags=["owner"])


@router.get("/stores", operation_id="list_stores", response_model=StoresPublic)
async def list_stores(user: CurrentUser, session: SessionDep) -> StoresPublic:
    """The stores the caller may see (all of them for a superadmin)."""
    stores = await service.list_visible(session=session, user=user)
    return StoresPublic(data=[StorePublic.model_validate(s) for s in stores], count=len(stores))

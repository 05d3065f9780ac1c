"""OGC API - Features at ``/ogc`` (spec section 9; the documents in ``app.formats.ogc``).

Access is the REST API's: the landing page, the conformance classes and the API definition are open (like
``/openapi.json``); the collections and their features need a token with ``read``, in the ``Authorization``
header, or, where ``NETCOP_OGC_QUERY_TOKEN`` allows it, in the ``access_token`` query parameter for desktop GIS
that cannot send headers (a token in a URL leaks into proxies' logs and clients' histories; netcop's own log
leaves query strings out). These routes are described by their own OpenAPI 3.0 document (``/ogc/api``), not by
the service's 3.1 ``/openapi.json``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html

from app.api.deps import StateDep
from app.errors import BadRequest
from app.formats import ogc, ogc_openapi
from app.services import features

router = APIRouter(prefix="/ogc", include_in_schema=False)


def _params(request: Request) -> dict[str, list[str]]:
    """The query parameters, the access token left out (it was taken, or refused, by ``_viewer``)."""
    query = request.query_params
    return {name: query.getlist(name) for name in query if name != ogc.ACCESS_TOKEN}


def _checked(request: Request, allowed: frozenset[str]) -> dict[str, list[str]]:
    params = _params(request)
    try:
        ogc.check_parameters(params, allowed)
    except ogc.QueryError as error:
        raise _bad(error) from error
    return params


def _bad(error: ogc.QueryError) -> BadRequest:
    return BadRequest(str(error), [{"path": error.parameter, "message": str(error)}])


def _links(request: Request) -> ogc.Links:
    token = request.query_params.get(ogc.ACCESS_TOKEN)
    base = str(request.base_url).rstrip("/") + router.prefix
    return ogc.Links(base, () if token is None else ((ogc.ACCESS_TOKEN, token),))


async def _viewer(request: Request, state: StateDep, authorization: Annotated[str | None, Header()] = None) -> str:
    """The organisation reading: from the header, else from ``access_token`` where the setting allows it."""
    token = request.query_params.get(ogc.ACCESS_TOKEN)
    if token is not None and not state.settings.ogc_query_token:
        raise _bad(
            ogc.QueryError(
                ogc.ACCESS_TOKEN,
                "a token in the query is off here (NETCOP_OGC_QUERY_TOKEN); send it as Authorization: Bearer <token>",
            )
        )
    if authorization is None and token is not None:
        authorization = f"Bearer {token}"
    principal = await state.authenticator.authenticate(authorization)
    return principal.viewer()


OgcViewer = Annotated[str, Depends(_viewer)]


def _answer(value: Any, media: str = ogc.JSON) -> Response:
    return Response(orjson.dumps(value), media_type=media)


@router.get("")
async def landing_page(request: Request) -> Response:
    """The landing page: links to the API definition, the conformance classes and the collections."""
    _checked(request, ogc.DOCUMENT_PARAMETERS)
    return _answer(ogc.landing(_links(request)))


@router.get("/conformance")
async def conformance(request: Request) -> Response:
    """The conformance classes met."""
    _checked(request, ogc.DOCUMENT_PARAMETERS)
    return _answer(ogc.conformance())


@router.get("/api")
async def api_definition(request: Request, state: StateDep) -> Response:
    """The OpenAPI 3.0 definition of ``/ogc``."""
    _checked(request, ogc.DOCUMENT_PARAMETERS)
    document = ogc_openapi.definition(_links(request).base, query_token=state.settings.ogc_query_token)
    return _answer(document, ogc.OPENAPI)


@router.get("/api.html")
async def api_documentation() -> Response:
    """The OpenAPI 3.0 definition of ``/ogc``, readable."""
    return get_swagger_ui_html(openapi_url=router.prefix + "/api", title="netcop: OGC API - Features")


@router.get("/collections")
async def list_collections(request: Request, state: StateDep, viewer: OgcViewer) -> Response:
    """``active_incidents``, then one collection per active incident this viewer may see."""
    _checked(request, ogc.DOCUMENT_PARAMETERS)
    found = await features.active_incidents(db=state.db, viewer=viewer, window_us=state.window_us)
    return _answer(ogc.collections(_links(request), found))


@router.get("/collections/{collection_id}")
async def describe_collection(request: Request, state: StateDep, viewer: OgcViewer, collection_id: str) -> Response:
    """One collection."""
    _checked(request, ogc.DOCUMENT_PARAMETERS)
    found = await features.describe(db=state.db, viewer=viewer, window_us=state.window_us, collection=collection_id)
    return _answer(ogc.collection(_links(request), found))


@router.get("/collections/{collection_id}/items")
async def list_items(request: Request, state: StateDep, viewer: OgcViewer, collection_id: str) -> Response:
    """A page of the collection's features, in a bbox, as known at ``datetime``; ``next`` links page on."""
    try:
        query = ogc.items_query(_checked(request, ogc.ITEMS_PARAMETERS))
    except ogc.QueryError as error:
        raise _bad(error) from error
    objects = await features.collection_objects(
        db=state.db,
        viewer=viewer,
        window_us=state.window_us,
        collection=collection_id,
        bbox=query.bbox,
        as_of=query.as_of,
    )
    stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return _answer(ogc.items(_links(request), collection_id, objects, query, stamp), ogc.GEOJSON)


@router.get("/collections/{collection_id}/items/{feature_id:path}")
async def get_item(
    request: Request, state: StateDep, viewer: OgcViewer, collection_id: str, feature_id: str
) -> Response:
    """One feature, by its id ``<incident>/<object>``."""
    _checked(request, ogc.DOCUMENT_PARAMETERS)
    obj = await features.collection_object(
        db=state.db, viewer=viewer, window_us=state.window_us, collection=collection_id, feature_id=feature_id
    )
    return _answer(ogc.item(_links(request), collection_id, obj), ogc.GEOJSON)

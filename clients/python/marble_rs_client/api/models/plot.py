from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.plot_kind import PlotKind
from ...models.problem import Problem
from typing import cast



def _get_kwargs(
    id: str,
    kind: PlotKind,

) -> dict[str, Any]:
    

    

    

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/models/{id}/plots/{kind}".format(id=quote(str(id), safe=""),kind=quote(str(kind), safe=""),),
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | str | None:
    if response.status_code == 200:
        response_200 = response.text
        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())



        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())



        return response_404

    if response.status_code == 408:
        response_408 = Problem.from_dict(response.json())



        return response_408

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())



        return response_409

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())



        return response_422

    if response.status_code == 500:
        response_500 = Problem.from_dict(response.json())



        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    kind: PlotKind,
    *,
    client: AuthenticatedClient | Client,

) -> Response[Problem | str]:
    """ A figure of the model as SVG: `embedding`, `distances`, `losses`, `clusters`,
    `vector_field` or `condition_map` (the conditions placed by MDS of their distances).

    Args:
        id (str):
        kind (PlotKind): The figures a model has.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
     """


    kwargs = _get_kwargs(
        id=id,
kind=kind,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    id: str,
    kind: PlotKind,
    *,
    client: AuthenticatedClient | Client,

) -> Problem | str | None:
    """ A figure of the model as SVG: `embedding`, `distances`, `losses`, `clusters`,
    `vector_field` or `condition_map` (the conditions placed by MDS of their distances).

    Args:
        id (str):
        kind (PlotKind): The figures a model has.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
     """


    return sync_detailed(
        id=id,
kind=kind,
client=client,

    ).parsed

async def asyncio_detailed(
    id: str,
    kind: PlotKind,
    *,
    client: AuthenticatedClient | Client,

) -> Response[Problem | str]:
    """ A figure of the model as SVG: `embedding`, `distances`, `losses`, `clusters`,
    `vector_field` or `condition_map` (the conditions placed by MDS of their distances).

    Args:
        id (str):
        kind (PlotKind): The figures a model has.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
     """


    kwargs = _get_kwargs(
        id=id,
kind=kind,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    id: str,
    kind: PlotKind,
    *,
    client: AuthenticatedClient | Client,

) -> Problem | str | None:
    """ A figure of the model as SVG: `embedding`, `distances`, `losses`, `clusters`,
    `vector_field` or `condition_map` (the conditions placed by MDS of their distances).

    Args:
        id (str):
        kind (PlotKind): The figures a model has.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
     """


    return (await asyncio_detailed(
        id=id,
kind=kind,
client=client,

    )).parsed

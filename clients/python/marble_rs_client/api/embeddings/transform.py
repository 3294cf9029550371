from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.arrays import Arrays
from ...models.embedding_info import EmbeddingInfo
from ...models.problem import Problem
from ...models.transform_request import TransformRequest
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    body: TransformRequest,
    arrays: Arrays | Unset = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}


    

    params: dict[str, Any] = {}

    json_arrays: str | Unset = UNSET
    if not isinstance(arrays, Unset):
        json_arrays = arrays.value

    params["arrays"] = json_arrays


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/embeddings",
        "params": params,
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> EmbeddingInfo | Problem | None:
    if response.status_code == 201:
        response_201 = EmbeddingInfo.from_dict(response.json())



        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())



        return response_400

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

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())



        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())



        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())



        return response_422

    if response.status_code == 500:
        response_500 = Problem.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())



        return response_503

    if response.status_code == 507:
        response_507 = Problem.from_dict(response.json())



        return response_507

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[EmbeddingInfo | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: TransformRequest,
    arrays: Arrays | Unset = UNSET,

) -> Response[EmbeddingInfo | Problem]:
    """ Embed a dataset with a model; the embedding is kept.

    Args:
        arrays (Arrays | Unset): Whether a JSON answer carries its arrays.
        body (TransformRequest): Embed a dataset with a model.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EmbeddingInfo | Problem]
     """


    kwargs = _get_kwargs(
        body=body,
arrays=arrays,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,
    body: TransformRequest,
    arrays: Arrays | Unset = UNSET,

) -> EmbeddingInfo | Problem | None:
    """ Embed a dataset with a model; the embedding is kept.

    Args:
        arrays (Arrays | Unset): Whether a JSON answer carries its arrays.
        body (TransformRequest): Embed a dataset with a model.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EmbeddingInfo | Problem
     """


    return sync_detailed(
        client=client,
body=body,
arrays=arrays,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: TransformRequest,
    arrays: Arrays | Unset = UNSET,

) -> Response[EmbeddingInfo | Problem]:
    """ Embed a dataset with a model; the embedding is kept.

    Args:
        arrays (Arrays | Unset): Whether a JSON answer carries its arrays.
        body (TransformRequest): Embed a dataset with a model.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EmbeddingInfo | Problem]
     """


    kwargs = _get_kwargs(
        body=body,
arrays=arrays,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: TransformRequest,
    arrays: Arrays | Unset = UNSET,

) -> EmbeddingInfo | Problem | None:
    """ Embed a dataset with a model; the embedding is kept.

    Args:
        arrays (Arrays | Unset): Whether a JSON answer carries its arrays.
        body (TransformRequest): Embed a dataset with a model.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EmbeddingInfo | Problem
     """


    return (await asyncio_detailed(
        client=client,
body=body,
arrays=arrays,

    )).parsed

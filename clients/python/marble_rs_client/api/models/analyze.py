from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.analysis_info import AnalysisInfo
from ...models.analysis_params import AnalysisParams
from ...models.arrays import Arrays
from ...models.problem import Problem
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    id: str,
    *,
    body: AnalysisParams,
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
        "url": "/models/{id}/analyses".format(id=quote(str(id), safe=""),),
        "params": params,
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> AnalysisInfo | Problem | None:
    if response.status_code == 200:
        response_200 = AnalysisInfo.from_dict(response.json())



        return response_200

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

    if response.status_code == 507:
        response_507 = Problem.from_dict(response.json())



        return response_507

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[AnalysisInfo | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: AnalysisParams,
    arrays: Arrays | Unset = UNSET,

) -> Response[AnalysisInfo | Problem]:
    """ Analyse the model's training embedding: distances between conditions, clusters, 2-D
    views (and refresh its figures). With `colour_by` (one value per point or per input
    row, named by `colour_by_name`), the embedding and vector-field figures are coloured by
    that variable instead of by condition, until the next analysis.

    Args:
        id (str):
        arrays (Arrays | Unset): Whether a JSON answer carries its arrays.
        body (AnalysisParams): Settings of the analysis stage. Unknown keys are errors.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AnalysisInfo | Problem]
     """


    kwargs = _get_kwargs(
        id=id,
body=body,
arrays=arrays,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: AnalysisParams,
    arrays: Arrays | Unset = UNSET,

) -> AnalysisInfo | Problem | None:
    """ Analyse the model's training embedding: distances between conditions, clusters, 2-D
    views (and refresh its figures). With `colour_by` (one value per point or per input
    row, named by `colour_by_name`), the embedding and vector-field figures are coloured by
    that variable instead of by condition, until the next analysis.

    Args:
        id (str):
        arrays (Arrays | Unset): Whether a JSON answer carries its arrays.
        body (AnalysisParams): Settings of the analysis stage. Unknown keys are errors.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AnalysisInfo | Problem
     """


    return sync_detailed(
        id=id,
client=client,
body=body,
arrays=arrays,

    ).parsed

async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: AnalysisParams,
    arrays: Arrays | Unset = UNSET,

) -> Response[AnalysisInfo | Problem]:
    """ Analyse the model's training embedding: distances between conditions, clusters, 2-D
    views (and refresh its figures). With `colour_by` (one value per point or per input
    row, named by `colour_by_name`), the embedding and vector-field figures are coloured by
    that variable instead of by condition, until the next analysis.

    Args:
        id (str):
        arrays (Arrays | Unset): Whether a JSON answer carries its arrays.
        body (AnalysisParams): Settings of the analysis stage. Unknown keys are errors.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AnalysisInfo | Problem]
     """


    kwargs = _get_kwargs(
        id=id,
body=body,
arrays=arrays,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: AnalysisParams,
    arrays: Arrays | Unset = UNSET,

) -> AnalysisInfo | Problem | None:
    """ Analyse the model's training embedding: distances between conditions, clusters, 2-D
    views (and refresh its figures). With `colour_by` (one value per point or per input
    row, named by `colour_by_name`), the embedding and vector-field figures are coloured by
    that variable instead of by condition, until the next analysis.

    Args:
        id (str):
        arrays (Arrays | Unset): Whether a JSON answer carries its arrays.
        body (AnalysisParams): Settings of the analysis stage. Unknown keys are errors.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AnalysisInfo | Problem
     """


    return (await asyncio_detailed(
        id=id,
client=client,
body=body,
arrays=arrays,

    )).parsed

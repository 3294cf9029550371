from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.dataset_info import DatasetInfo
from ...models.new_dataset import NewDataset
from ...models.problem import Problem
from ...types import File, FileTypes
from ...types import UNSET, Unset
from io import BytesIO
from typing import cast



def _get_kwargs(
    *,
    body:    NewDataset  |     File  | Unset = UNSET,
    name: str | Unset = UNSET,
    parameters: str | Unset = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}


    

    params: dict[str, Any] = {}

    params["name"] = name

    params["parameters"] = parameters


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/datasets",
        "params": params,
    }

    if isinstance(body, NewDataset):
        _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/json"
    if isinstance(body, File):
        _kwargs["content"] = body.payload
        headers["Content-Type"] = "application/octet-stream"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> DatasetInfo | Problem | None:
    if response.status_code == 201:
        response_201 = DatasetInfo.from_dict(response.json())



        return response_201

    if 400 <= response.status_code <= 499:
        response_4xx = Problem.from_dict(response.json())



        return response_4xx

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[DatasetInfo | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body:    NewDataset  |     File  | Unset = UNSET,
    name: str | Unset = UNSET,
    parameters: str | Unset = UNSET,

) -> Response[DatasetInfo | Problem]:
    """ Create a dataset from JSON arrays (`application/json`, a `NewDataset`) or an uploaded
    `.npz` (`application/octet-stream`, arrays `anchor_c`/`vector_c` or `trajectory_c_j`).

    Args:
        name (str | Unset):
        parameters (str | Unset):
        body (NewDataset): A new dataset: conditions and the parameters that build (and later fit)
            it.
        body (File): A file in a request or response body (.npz, .npy).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DatasetInfo | Problem]
     """


    kwargs = _get_kwargs(
        body=body,
name=name,
parameters=parameters,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,
    body:    NewDataset  |     File  | Unset = UNSET,
    name: str | Unset = UNSET,
    parameters: str | Unset = UNSET,

) -> DatasetInfo | Problem | None:
    """ Create a dataset from JSON arrays (`application/json`, a `NewDataset`) or an uploaded
    `.npz` (`application/octet-stream`, arrays `anchor_c`/`vector_c` or `trajectory_c_j`).

    Args:
        name (str | Unset):
        parameters (str | Unset):
        body (NewDataset): A new dataset: conditions and the parameters that build (and later fit)
            it.
        body (File): A file in a request or response body (.npz, .npy).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DatasetInfo | Problem
     """


    return sync_detailed(
        client=client,
body=body,
name=name,
parameters=parameters,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body:    NewDataset  |     File  | Unset = UNSET,
    name: str | Unset = UNSET,
    parameters: str | Unset = UNSET,

) -> Response[DatasetInfo | Problem]:
    """ Create a dataset from JSON arrays (`application/json`, a `NewDataset`) or an uploaded
    `.npz` (`application/octet-stream`, arrays `anchor_c`/`vector_c` or `trajectory_c_j`).

    Args:
        name (str | Unset):
        parameters (str | Unset):
        body (NewDataset): A new dataset: conditions and the parameters that build (and later fit)
            it.
        body (File): A file in a request or response body (.npz, .npy).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DatasetInfo | Problem]
     """


    kwargs = _get_kwargs(
        body=body,
name=name,
parameters=parameters,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body:    NewDataset  |     File  | Unset = UNSET,
    name: str | Unset = UNSET,
    parameters: str | Unset = UNSET,

) -> DatasetInfo | Problem | None:
    """ Create a dataset from JSON arrays (`application/json`, a `NewDataset`) or an uploaded
    `.npz` (`application/octet-stream`, arrays `anchor_c`/`vector_c` or `trajectory_c_j`).

    Args:
        name (str | Unset):
        parameters (str | Unset):
        body (NewDataset): A new dataset: conditions and the parameters that build (and later fit)
            it.
        body (File): A file in a request or response body (.npz, .npy).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DatasetInfo | Problem
     """


    return (await asyncio_detailed(
        client=client,
body=body,
name=name,
parameters=parameters,

    )).parsed

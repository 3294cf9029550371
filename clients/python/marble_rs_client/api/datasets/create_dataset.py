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

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())



        return response_401

    if response.status_code == 408:
        response_408 = Problem.from_dict(response.json())



        return response_408

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
    `.npz` (`application/octet-stream`, arrays `anchor_c`/`vector_c` or `trajectory_c_j`, and
    optional `label_c`, `mask_c` and `name_c`).

    Args:
        name (str | Unset):
        parameters (str | Unset):
        body (NewDataset): A new dataset: conditions and the parameters that build (and later fit)
            it. Example: {'conditions': [{'anchor': [[0.418, -0.068], [0.398, -0.88], [0.758, 0.099],
            [0.658, 0.871], [0.608, -0.691], [0.761, 0.541], [0.048, -0.298], [0.529, 0.285], [-0.621,
            -0.138], [0.205, 0.776], [0.67, 0.526], [0.036, 0.503], [0.828, 0.917], [0.936, 0.02],
            [0.355, 0.346], [-0.374, -0.315], [-0.197, -0.893], [0.878, -0.682], [0.146, -0.118],
            [-0.987, -0.129], [-0.024, -0.235], [0.046, -0.409], [0.818, 0.92], [-0.495, 0.299]],
            'name': 'vortex', 'vector': [[0.068, 0.418], [0.88, 0.398], [-0.099, 0.758], [-0.871,
            0.658], [0.691, 0.608], [-0.541, 0.761], [0.298, 0.048], [-0.285, 0.529], [0.138, -0.621],
            [-0.776, 0.205], [-0.526, 0.67], [-0.503, 0.036], [-0.917, 0.828], [-0.02, 0.936],
            [-0.346, 0.355], [0.315, -0.374], [0.893, -0.197], [0.682, 0.878], [0.118, 0.146], [0.129,
            -0.987], [0.235, -0.024], [0.409, 0.046], [-0.92, 0.818], [-0.299, -0.495]]}, {'anchor':
            [[-0.195, -0.839], [0.193, -0.561], [-0.433, 0.421], [-0.078, -0.695], [0.75, 0.413],
            [-0.033, 0.154], [-0.801, -0.472], [-0.093, -0.44], [0.982, 0.825], [0.894, -0.734],
            [-0.313, -0.039], [-0.205, -0.973], [-0.902, -0.63], [0.051, -0.464], [-0.823, -0.799],
            [0.982, 0.39], [-0.784, 0.159], [0.461, 0.409], [-0.553, 0.906], [-0.744, 0.265], [0.608,
            0.163], [0.799, -0.241], [-0.046, 0.844], [-0.323, 0.252]], 'name': 'saddle', 'vector':
            [[-0.195, 0.839], [0.193, 0.561], [-0.433, -0.421], [-0.078, 0.695], [0.75, -0.413],
            [-0.033, -0.154], [-0.801, 0.472], [-0.093, 0.44], [0.982, -0.825], [0.894, 0.734],
            [-0.313, 0.039], [-0.205, 0.973], [-0.902, 0.63], [0.051, 0.464], [-0.823, 0.799], [0.982,
            -0.39], [-0.784, -0.159], [0.461, -0.409], [-0.553, -0.906], [-0.744, -0.265], [0.608,
            -0.163], [0.799, 0.241], [-0.046, -0.844], [-0.323, -0.252]]}], 'name': 'two fields',
            'params': {'epochs': 2, 'k': 5}}.
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
    `.npz` (`application/octet-stream`, arrays `anchor_c`/`vector_c` or `trajectory_c_j`, and
    optional `label_c`, `mask_c` and `name_c`).

    Args:
        name (str | Unset):
        parameters (str | Unset):
        body (NewDataset): A new dataset: conditions and the parameters that build (and later fit)
            it. Example: {'conditions': [{'anchor': [[0.418, -0.068], [0.398, -0.88], [0.758, 0.099],
            [0.658, 0.871], [0.608, -0.691], [0.761, 0.541], [0.048, -0.298], [0.529, 0.285], [-0.621,
            -0.138], [0.205, 0.776], [0.67, 0.526], [0.036, 0.503], [0.828, 0.917], [0.936, 0.02],
            [0.355, 0.346], [-0.374, -0.315], [-0.197, -0.893], [0.878, -0.682], [0.146, -0.118],
            [-0.987, -0.129], [-0.024, -0.235], [0.046, -0.409], [0.818, 0.92], [-0.495, 0.299]],
            'name': 'vortex', 'vector': [[0.068, 0.418], [0.88, 0.398], [-0.099, 0.758], [-0.871,
            0.658], [0.691, 0.608], [-0.541, 0.761], [0.298, 0.048], [-0.285, 0.529], [0.138, -0.621],
            [-0.776, 0.205], [-0.526, 0.67], [-0.503, 0.036], [-0.917, 0.828], [-0.02, 0.936],
            [-0.346, 0.355], [0.315, -0.374], [0.893, -0.197], [0.682, 0.878], [0.118, 0.146], [0.129,
            -0.987], [0.235, -0.024], [0.409, 0.046], [-0.92, 0.818], [-0.299, -0.495]]}, {'anchor':
            [[-0.195, -0.839], [0.193, -0.561], [-0.433, 0.421], [-0.078, -0.695], [0.75, 0.413],
            [-0.033, 0.154], [-0.801, -0.472], [-0.093, -0.44], [0.982, 0.825], [0.894, -0.734],
            [-0.313, -0.039], [-0.205, -0.973], [-0.902, -0.63], [0.051, -0.464], [-0.823, -0.799],
            [0.982, 0.39], [-0.784, 0.159], [0.461, 0.409], [-0.553, 0.906], [-0.744, 0.265], [0.608,
            0.163], [0.799, -0.241], [-0.046, 0.844], [-0.323, 0.252]], 'name': 'saddle', 'vector':
            [[-0.195, 0.839], [0.193, 0.561], [-0.433, -0.421], [-0.078, 0.695], [0.75, -0.413],
            [-0.033, -0.154], [-0.801, 0.472], [-0.093, 0.44], [0.982, -0.825], [0.894, 0.734],
            [-0.313, 0.039], [-0.205, 0.973], [-0.902, 0.63], [0.051, 0.464], [-0.823, 0.799], [0.982,
            -0.39], [-0.784, -0.159], [0.461, -0.409], [-0.553, -0.906], [-0.744, -0.265], [0.608,
            -0.163], [0.799, 0.241], [-0.046, -0.844], [-0.323, -0.252]]}], 'name': 'two fields',
            'params': {'epochs': 2, 'k': 5}}.
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
    `.npz` (`application/octet-stream`, arrays `anchor_c`/`vector_c` or `trajectory_c_j`, and
    optional `label_c`, `mask_c` and `name_c`).

    Args:
        name (str | Unset):
        parameters (str | Unset):
        body (NewDataset): A new dataset: conditions and the parameters that build (and later fit)
            it. Example: {'conditions': [{'anchor': [[0.418, -0.068], [0.398, -0.88], [0.758, 0.099],
            [0.658, 0.871], [0.608, -0.691], [0.761, 0.541], [0.048, -0.298], [0.529, 0.285], [-0.621,
            -0.138], [0.205, 0.776], [0.67, 0.526], [0.036, 0.503], [0.828, 0.917], [0.936, 0.02],
            [0.355, 0.346], [-0.374, -0.315], [-0.197, -0.893], [0.878, -0.682], [0.146, -0.118],
            [-0.987, -0.129], [-0.024, -0.235], [0.046, -0.409], [0.818, 0.92], [-0.495, 0.299]],
            'name': 'vortex', 'vector': [[0.068, 0.418], [0.88, 0.398], [-0.099, 0.758], [-0.871,
            0.658], [0.691, 0.608], [-0.541, 0.761], [0.298, 0.048], [-0.285, 0.529], [0.138, -0.621],
            [-0.776, 0.205], [-0.526, 0.67], [-0.503, 0.036], [-0.917, 0.828], [-0.02, 0.936],
            [-0.346, 0.355], [0.315, -0.374], [0.893, -0.197], [0.682, 0.878], [0.118, 0.146], [0.129,
            -0.987], [0.235, -0.024], [0.409, 0.046], [-0.92, 0.818], [-0.299, -0.495]]}, {'anchor':
            [[-0.195, -0.839], [0.193, -0.561], [-0.433, 0.421], [-0.078, -0.695], [0.75, 0.413],
            [-0.033, 0.154], [-0.801, -0.472], [-0.093, -0.44], [0.982, 0.825], [0.894, -0.734],
            [-0.313, -0.039], [-0.205, -0.973], [-0.902, -0.63], [0.051, -0.464], [-0.823, -0.799],
            [0.982, 0.39], [-0.784, 0.159], [0.461, 0.409], [-0.553, 0.906], [-0.744, 0.265], [0.608,
            0.163], [0.799, -0.241], [-0.046, 0.844], [-0.323, 0.252]], 'name': 'saddle', 'vector':
            [[-0.195, 0.839], [0.193, 0.561], [-0.433, -0.421], [-0.078, 0.695], [0.75, -0.413],
            [-0.033, -0.154], [-0.801, 0.472], [-0.093, 0.44], [0.982, -0.825], [0.894, 0.734],
            [-0.313, 0.039], [-0.205, 0.973], [-0.902, 0.63], [0.051, 0.464], [-0.823, 0.799], [0.982,
            -0.39], [-0.784, -0.159], [0.461, -0.409], [-0.553, -0.906], [-0.744, -0.265], [0.608,
            -0.163], [0.799, 0.241], [-0.046, -0.844], [-0.323, -0.252]]}], 'name': 'two fields',
            'params': {'epochs': 2, 'k': 5}}.
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
    `.npz` (`application/octet-stream`, arrays `anchor_c`/`vector_c` or `trajectory_c_j`, and
    optional `label_c`, `mask_c` and `name_c`).

    Args:
        name (str | Unset):
        parameters (str | Unset):
        body (NewDataset): A new dataset: conditions and the parameters that build (and later fit)
            it. Example: {'conditions': [{'anchor': [[0.418, -0.068], [0.398, -0.88], [0.758, 0.099],
            [0.658, 0.871], [0.608, -0.691], [0.761, 0.541], [0.048, -0.298], [0.529, 0.285], [-0.621,
            -0.138], [0.205, 0.776], [0.67, 0.526], [0.036, 0.503], [0.828, 0.917], [0.936, 0.02],
            [0.355, 0.346], [-0.374, -0.315], [-0.197, -0.893], [0.878, -0.682], [0.146, -0.118],
            [-0.987, -0.129], [-0.024, -0.235], [0.046, -0.409], [0.818, 0.92], [-0.495, 0.299]],
            'name': 'vortex', 'vector': [[0.068, 0.418], [0.88, 0.398], [-0.099, 0.758], [-0.871,
            0.658], [0.691, 0.608], [-0.541, 0.761], [0.298, 0.048], [-0.285, 0.529], [0.138, -0.621],
            [-0.776, 0.205], [-0.526, 0.67], [-0.503, 0.036], [-0.917, 0.828], [-0.02, 0.936],
            [-0.346, 0.355], [0.315, -0.374], [0.893, -0.197], [0.682, 0.878], [0.118, 0.146], [0.129,
            -0.987], [0.235, -0.024], [0.409, 0.046], [-0.92, 0.818], [-0.299, -0.495]]}, {'anchor':
            [[-0.195, -0.839], [0.193, -0.561], [-0.433, 0.421], [-0.078, -0.695], [0.75, 0.413],
            [-0.033, 0.154], [-0.801, -0.472], [-0.093, -0.44], [0.982, 0.825], [0.894, -0.734],
            [-0.313, -0.039], [-0.205, -0.973], [-0.902, -0.63], [0.051, -0.464], [-0.823, -0.799],
            [0.982, 0.39], [-0.784, 0.159], [0.461, 0.409], [-0.553, 0.906], [-0.744, 0.265], [0.608,
            0.163], [0.799, -0.241], [-0.046, 0.844], [-0.323, 0.252]], 'name': 'saddle', 'vector':
            [[-0.195, 0.839], [0.193, 0.561], [-0.433, -0.421], [-0.078, 0.695], [0.75, -0.413],
            [-0.033, -0.154], [-0.801, 0.472], [-0.093, 0.44], [0.982, -0.825], [0.894, 0.734],
            [-0.313, 0.039], [-0.205, 0.973], [-0.902, 0.63], [0.051, 0.464], [-0.823, 0.799], [0.982,
            -0.39], [-0.784, -0.159], [0.461, -0.409], [-0.553, -0.906], [-0.744, -0.265], [0.608,
            -0.163], [0.799, 0.241], [-0.046, -0.844], [-0.323, -0.252]]}], 'name': 'two fields',
            'params': {'epochs': 2, 'k': 5}}.
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

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.params import Params





T = TypeVar("T", bound="FitRequest")



@_attrs_define
class FitRequest:
    """ Start a fit of a dataset.

        Attributes:
            dataset (str): The dataset's id.
            params (None | Params | Unset):
     """

    dataset: str
    params: None | Params | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.params import Params # noqa: PLC0415
        dataset = self.dataset

        params: dict[str, Any] | None | Unset
        if isinstance(self.params, Unset):
            params = UNSET
        elif isinstance(self.params, Params):
            params = self.params.to_dict()
        else:
            params = self.params


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "dataset": dataset,
        })
        if params is not UNSET:
            field_dict["params"] = params

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.params import Params # noqa: PLC0415
        d = dict(src_dict)
        dataset = d.pop("dataset")

        def _parse_params(data: object) -> None | Params | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                params_type_0 = Params.from_dict(data)



                return params_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Params | Unset, data)

        params = _parse_params(d.pop("params", UNSET))


        fit_request = cls(
            dataset=dataset,
            params=params,
        )

        return fit_request


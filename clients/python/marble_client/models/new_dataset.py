from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.condition_data import ConditionData
  from ..models.params import Params





T = TypeVar("T", bound="NewDataset")



@_attrs_define
class NewDataset:
    """ A new dataset: conditions and the parameters that build (and later fit) it.

        Attributes:
            conditions (list[ConditionData]): The conditions.
            name (None | str | Unset): A name for listings.
            params (None | Params | Unset):
     """

    conditions: list[ConditionData]
    name: None | str | Unset = UNSET
    params: None | Params | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.condition_data import ConditionData # noqa: PLC0415
        from ..models.params import Params # noqa: PLC0415
        conditions = []
        for conditions_item_data in self.conditions:
            conditions_item = conditions_item_data.to_dict()
            conditions.append(conditions_item)



        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        params: dict[str, Any] | None | Unset
        if isinstance(self.params, Unset):
            params = UNSET
        elif isinstance(self.params, Params):
            params = self.params.to_dict()
        else:
            params = self.params


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "conditions": conditions,
        })
        if name is not UNSET:
            field_dict["name"] = name
        if params is not UNSET:
            field_dict["params"] = params

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.condition_data import ConditionData # noqa: PLC0415
        from ..models.params import Params # noqa: PLC0415
        d = dict(src_dict)
        conditions = []
        _conditions = d.pop("conditions")
        for conditions_item_data in (_conditions):
            conditions_item = ConditionData.from_dict(conditions_item_data)



            conditions.append(conditions_item)


        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))


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


        new_dataset = cls(
            conditions=conditions,
            name=name,
            params=params,
        )

        return new_dataset


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

        Example:
            {'conditions': [{'anchor': [[0.418, -0.068], [0.398, -0.88], [0.758, 0.099], [0.658, 0.871], [0.608, -0.691],
                [0.761, 0.541], [0.048, -0.298], [0.529, 0.285], [-0.621, -0.138], [0.205, 0.776], [0.67, 0.526], [0.036,
                0.503], [0.828, 0.917], [0.936, 0.02], [0.355, 0.346], [-0.374, -0.315], [-0.197, -0.893], [0.878, -0.682],
                [0.146, -0.118], [-0.987, -0.129], [-0.024, -0.235], [0.046, -0.409], [0.818, 0.92], [-0.495, 0.299]], 'name':
                'vortex', 'vector': [[0.068, 0.418], [0.88, 0.398], [-0.099, 0.758], [-0.871, 0.658], [0.691, 0.608], [-0.541,
                0.761], [0.298, 0.048], [-0.285, 0.529], [0.138, -0.621], [-0.776, 0.205], [-0.526, 0.67], [-0.503, 0.036],
                [-0.917, 0.828], [-0.02, 0.936], [-0.346, 0.355], [0.315, -0.374], [0.893, -0.197], [0.682, 0.878], [0.118,
                0.146], [0.129, -0.987], [0.235, -0.024], [0.409, 0.046], [-0.92, 0.818], [-0.299, -0.495]]}, {'anchor':
                [[-0.195, -0.839], [0.193, -0.561], [-0.433, 0.421], [-0.078, -0.695], [0.75, 0.413], [-0.033, 0.154], [-0.801,
                -0.472], [-0.093, -0.44], [0.982, 0.825], [0.894, -0.734], [-0.313, -0.039], [-0.205, -0.973], [-0.902, -0.63],
                [0.051, -0.464], [-0.823, -0.799], [0.982, 0.39], [-0.784, 0.159], [0.461, 0.409], [-0.553, 0.906], [-0.744,
                0.265], [0.608, 0.163], [0.799, -0.241], [-0.046, 0.844], [-0.323, 0.252]], 'name': 'saddle', 'vector':
                [[-0.195, 0.839], [0.193, 0.561], [-0.433, -0.421], [-0.078, 0.695], [0.75, -0.413], [-0.033, -0.154], [-0.801,
                0.472], [-0.093, 0.44], [0.982, -0.825], [0.894, 0.734], [-0.313, 0.039], [-0.205, 0.973], [-0.902, 0.63],
                [0.051, 0.464], [-0.823, 0.799], [0.982, -0.39], [-0.784, -0.159], [0.461, -0.409], [-0.553, -0.906], [-0.744,
                -0.265], [0.608, -0.163], [0.799, 0.241], [-0.046, -0.844], [-0.323, -0.252]]}], 'name': 'two fields', 'params':
                {'epochs': 2, 'k': 5}}

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


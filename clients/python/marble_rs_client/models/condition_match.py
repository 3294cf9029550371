from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="ConditionMatch")



@_attrs_define
class ConditionMatch:
    """ One condition's nearest condition in another group.

        Attributes:
            condition (int): The condition matched (row of the distance matrix).
            distance (float): The distance between them.
            nearest (int): Its nearest condition in the other group.
            same (bool | None | Unset): Whether the two carry the same value or name (see [`Matching::by`]).
     """

    condition: int
    distance: float
    nearest: int
    same: bool | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        condition = self.condition

        distance = self.distance

        nearest = self.nearest

        same: bool | None | Unset
        if isinstance(self.same, Unset):
            same = UNSET
        else:
            same = self.same


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "condition": condition,
            "distance": distance,
            "nearest": nearest,
        })
        if same is not UNSET:
            field_dict["same"] = same

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        condition = d.pop("condition")

        distance = d.pop("distance")

        nearest = d.pop("nearest")

        def _parse_same(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        same = _parse_same(d.pop("same", UNSET))


        condition_match = cls(
            condition=condition,
            distance=distance,
            nearest=nearest,
            same=same,
        )


        condition_match.additional_properties = d
        return condition_match

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

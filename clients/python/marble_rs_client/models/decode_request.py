from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="DecodeRequest")



@_attrs_define
class DecodeRequest:
    """ Decode behaviour from a model's latents.

        Attributes:
            behaviour (list[list[float]]): Behaviour, one row per point (or per input row).
            folds (int | None | Unset): Folds (default 5).
            groups (list[int] | None | Unset): Cross-validation groups (trial ids), one per row of `behaviour`.
     """

    behaviour: list[list[float]]
    folds: int | None | Unset = UNSET
    groups: list[int] | None | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        behaviour = []
        for behaviour_item_data in self.behaviour:
            behaviour_item = behaviour_item_data


            behaviour.append(behaviour_item)



        folds: int | None | Unset
        if isinstance(self.folds, Unset):
            folds = UNSET
        else:
            folds = self.folds

        groups: list[int] | None | Unset
        if isinstance(self.groups, Unset):
            groups = UNSET
        elif isinstance(self.groups, list):
            groups = self.groups


        else:
            groups = self.groups


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "behaviour": behaviour,
        })
        if folds is not UNSET:
            field_dict["folds"] = folds
        if groups is not UNSET:
            field_dict["groups"] = groups

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        behaviour = []
        _behaviour = d.pop("behaviour")
        for behaviour_item_data in (_behaviour):
            behaviour_item = cast(list[float], behaviour_item_data)

            behaviour.append(behaviour_item)


        def _parse_folds(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        folds = _parse_folds(d.pop("folds", UNSET))


        def _parse_groups(data: object) -> list[int] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                groups_type_0 = cast(list[int], data)

                return groups_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[int] | None | Unset, data)

        groups = _parse_groups(d.pop("groups", UNSET))


        decode_request = cls(
            behaviour=behaviour,
            folds=folds,
            groups=groups,
        )

        return decode_request


from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="ConditionData")



@_attrs_define
class ConditionData:
    """ One condition as JSON arrays (the request body of `POST /v1/datasets`, and the layout of
    `.json` input files).

        Attributes:
            anchor (list[list[float]]): Anchors, n rows of D numbers.
            vector (list[list[float]]): Vectors, n rows of S numbers.
            group (None | str | Unset): Optional group: the animal, session or network the condition was recorded in (a
                string, or a whole number read as its digits). All conditions have one or none; the
                analysis then compares the groups (matching, transfer decoding).
            label (list[float] | None | Unset): Optional label per point.
            mask (list[bool] | None | Unset): Optional mask per point.
            name (None | str | Unset): Optional name, shown for the condition in figures and results (e.g. "mu = 0.5").
            value (float | None | Unset): Optional number the condition was recorded under (e.g. mu = 0.5, a gain, a reach
                angle). Kept in the summary; when every condition has one, figures colour the
                conditions on a continuous scale by it, with a colour bar.
     """

    anchor: list[list[float]]
    vector: list[list[float]]
    group: None | str | Unset = UNSET
    label: list[float] | None | Unset = UNSET
    mask: list[bool] | None | Unset = UNSET
    name: None | str | Unset = UNSET
    value: float | None | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        anchor = []
        for anchor_item_data in self.anchor:
            anchor_item = anchor_item_data


            anchor.append(anchor_item)



        vector = []
        for vector_item_data in self.vector:
            vector_item = vector_item_data


            vector.append(vector_item)



        group: None | str | Unset
        if isinstance(self.group, Unset):
            group = UNSET
        else:
            group = self.group

        label: list[float] | None | Unset
        if isinstance(self.label, Unset):
            label = UNSET
        elif isinstance(self.label, list):
            label = self.label


        else:
            label = self.label

        mask: list[bool] | None | Unset
        if isinstance(self.mask, Unset):
            mask = UNSET
        elif isinstance(self.mask, list):
            mask = self.mask


        else:
            mask = self.mask

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        value: float | None | Unset
        if isinstance(self.value, Unset):
            value = UNSET
        else:
            value = self.value


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "anchor": anchor,
            "vector": vector,
        })
        if group is not UNSET:
            field_dict["group"] = group
        if label is not UNSET:
            field_dict["label"] = label
        if mask is not UNSET:
            field_dict["mask"] = mask
        if name is not UNSET:
            field_dict["name"] = name
        if value is not UNSET:
            field_dict["value"] = value

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        anchor = []
        _anchor = d.pop("anchor")
        for anchor_item_data in (_anchor):
            anchor_item = cast(list[float], anchor_item_data)

            anchor.append(anchor_item)


        vector = []
        _vector = d.pop("vector")
        for vector_item_data in (_vector):
            vector_item = cast(list[float], vector_item_data)

            vector.append(vector_item)


        def _parse_group(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        group = _parse_group(d.pop("group", UNSET))


        def _parse_label(data: object) -> list[float] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                label_type_0 = cast(list[float], data)

                return label_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[float] | None | Unset, data)

        label = _parse_label(d.pop("label", UNSET))


        def _parse_mask(data: object) -> list[bool] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                mask_type_0 = cast(list[bool], data)

                return mask_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[bool] | None | Unset, data)

        mask = _parse_mask(d.pop("mask", UNSET))


        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))


        def _parse_value(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        value = _parse_value(d.pop("value", UNSET))


        condition_data = cls(
            anchor=anchor,
            vector=vector,
            group=group,
            label=label,
            mask=mask,
            name=name,
            value=value,
        )

        return condition_data


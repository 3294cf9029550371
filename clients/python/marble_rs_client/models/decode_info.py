from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast






T = TypeVar("T", bound="DecodeInfo")



@_attrs_define
class DecodeInfo:
    """ Cross-validated R^2 from the latents and from the PCA baseline.

        Attributes:
            baseline_r2 (list[float]): R^2 per column from PCA of the input at the latents' dimension.
            baseline_r2_mean (float): Mean of `baseline_r2`.
            grouped (bool): Whether folds followed the groups.
            r2 (list[float]): R^2 per behaviour column from the latents.
            r2_mean (float): Mean of `r2`.
     """

    baseline_r2: list[float]
    baseline_r2_mean: float
    grouped: bool
    r2: list[float]
    r2_mean: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        baseline_r2 = self.baseline_r2



        baseline_r2_mean = self.baseline_r2_mean

        grouped = self.grouped

        r2 = self.r2



        r2_mean = self.r2_mean


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "baseline_r2": baseline_r2,
            "baseline_r2_mean": baseline_r2_mean,
            "grouped": grouped,
            "r2": r2,
            "r2_mean": r2_mean,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        baseline_r2 = cast(list[float], d.pop("baseline_r2"))


        baseline_r2_mean = d.pop("baseline_r2_mean")

        grouped = d.pop("grouped")

        r2 = cast(list[float], d.pop("r2"))


        r2_mean = d.pop("r2_mean")

        decode_info = cls(
            baseline_r2=baseline_r2,
            baseline_r2_mean=baseline_r2_mean,
            grouped=grouped,
            r2=r2,
            r2_mean=r2_mean,
        )


        decode_info.additional_properties = d
        return decode_info

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

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast






T = TypeVar("T", bound="WithinGroup")



@_attrs_define
class WithinGroup:
    """ Cross-validated decoding within one group.

        Attributes:
            group (str): The group.
            pca_r2 (list[float]): Cross-validated R^2 per column from the group's own PCA.
            pca_r2_mean (float): Mean of `pca_r2`.
            r2 (list[float]): Cross-validated R^2 per behaviour column from the latents.
            r2_mean (float): Mean of `r2`.
     """

    group: str
    pca_r2: list[float]
    pca_r2_mean: float
    r2: list[float]
    r2_mean: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        group = self.group

        pca_r2 = self.pca_r2



        pca_r2_mean = self.pca_r2_mean

        r2 = self.r2



        r2_mean = self.r2_mean


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "group": group,
            "pca_r2": pca_r2,
            "pca_r2_mean": pca_r2_mean,
            "r2": r2,
            "r2_mean": r2_mean,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        group = d.pop("group")

        pca_r2 = cast(list[float], d.pop("pca_r2"))


        pca_r2_mean = d.pop("pca_r2_mean")

        r2 = cast(list[float], d.pop("r2"))


        r2_mean = d.pop("r2_mean")

        within_group = cls(
            group=group,
            pca_r2=pca_r2,
            pca_r2_mean=pca_r2_mean,
            r2=r2,
            r2_mean=r2_mean,
        )


        within_group.additional_properties = d
        return within_group

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

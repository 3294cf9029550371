from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast






T = TypeVar("T", bound="Transfer")



@_attrs_define
class Transfer:
    """ R^2 of a decoder trained on one group and scored on another.

        Attributes:
            pca_r2 (list[float]): The same transfer on each group's own PCA of its input at the latents' dimension.
            pca_r2_mean (float): Mean of `pca_r2`.
            r2 (list[float]): R^2 per behaviour column on `test`, from the MARBLE latents.
            r2_mean (float): Mean of `r2`.
            test (str): The group it was scored on (all its rows).
            train (str): The group the decoder was trained on (all its rows).
     """

    pca_r2: list[float]
    pca_r2_mean: float
    r2: list[float]
    r2_mean: float
    test: str
    train: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        pca_r2 = self.pca_r2



        pca_r2_mean = self.pca_r2_mean

        r2 = self.r2



        r2_mean = self.r2_mean

        test = self.test

        train = self.train


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "pca_r2": pca_r2,
            "pca_r2_mean": pca_r2_mean,
            "r2": r2,
            "r2_mean": r2_mean,
            "test": test,
            "train": train,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        pca_r2 = cast(list[float], d.pop("pca_r2"))


        pca_r2_mean = d.pop("pca_r2_mean")

        r2 = cast(list[float], d.pop("r2"))


        r2_mean = d.pop("r2_mean")

        test = d.pop("test")

        train = d.pop("train")

        transfer = cls(
            pca_r2=pca_r2,
            pca_r2_mean=pca_r2_mean,
            r2=r2,
            r2_mean=r2_mean,
            test=test,
            train=train,
        )


        transfer.additional_properties = d
        return transfer

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

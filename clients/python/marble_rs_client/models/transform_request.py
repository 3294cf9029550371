from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="TransformRequest")



@_attrs_define
class TransformRequest:
    """ Embed a dataset with a model.

        Attributes:
            dataset (str): The dataset to embed.
            model (str): The model (a finished job's id).
     """

    dataset: str
    model: str





    def to_dict(self) -> dict[str, Any]:
        dataset = self.dataset

        model = self.model


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "dataset": dataset,
            "model": model,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        dataset = d.pop("dataset")

        model = d.pop("model")

        transform_request = cls(
            dataset=dataset,
            model=model,
        )

        return transform_request


from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast






T = TypeVar("T", bound="EmbeddingInfo")



@_attrs_define
class EmbeddingInfo:
    """ An embedding: latents of every point of a dataset under a model.

        Attributes:
            condition (list[int]): Condition of each point.
            dataset (str): Dataset embedded.
            embedding (list[list[float]]): Latents, one row per point.
            id (str): Id.
            model (str): Model used.
     """

    condition: list[int]
    dataset: str
    embedding: list[list[float]]
    id: str
    model: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        condition = self.condition



        dataset = self.dataset

        embedding = []
        for embedding_item_data in self.embedding:
            embedding_item = embedding_item_data


            embedding.append(embedding_item)



        id = self.id

        model = self.model


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "condition": condition,
            "dataset": dataset,
            "embedding": embedding,
            "id": id,
            "model": model,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        condition = cast(list[int], d.pop("condition"))


        dataset = d.pop("dataset")

        embedding = []
        _embedding = d.pop("embedding")
        for embedding_item_data in (_embedding):
            embedding_item = cast(list[float], embedding_item_data)

            embedding.append(embedding_item)


        id = d.pop("id")

        model = d.pop("model")

        embedding_info = cls(
            condition=condition,
            dataset=dataset,
            embedding=embedding,
            id=id,
            model=model,
        )


        embedding_info.additional_properties = d
        return embedding_info

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

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast






T = TypeVar("T", bound="Losses")



@_attrs_define
class Losses:
    """ Losses per epoch, with the reference's names.

        Attributes:
            test_loss (list[float]): Test loss of the final (best) model.
            train_loss (list[float]): Mean training loss of each epoch.
            val_loss (list[float]): Validation loss of each epoch.
     """

    test_loss: list[float]
    train_loss: list[float]
    val_loss: list[float]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        test_loss = self.test_loss



        train_loss = self.train_loss



        val_loss = self.val_loss




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "test_loss": test_loss,
            "train_loss": train_loss,
            "val_loss": val_loss,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        test_loss = cast(list[float], d.pop("test_loss"))


        train_loss = cast(list[float], d.pop("train_loss"))


        val_loss = cast(list[float], d.pop("val_loss"))


        losses = cls(
            test_loss=test_loss,
            train_loss=train_loss,
            val_loss=val_loss,
        )


        losses.additional_properties = d
        return losses

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

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.transfer import Transfer
  from ..models.within_group import WithinGroup





T = TypeVar("T", bound="TransferDecoding")



@_attrs_define
class TransferDecoding:
    """ Decoding across groups: every ordered pair, and within each group for comparison.

        Attributes:
            transfers (list[Transfer]): One entry per ordered pair of distinct groups.
            within (list[WithinGroup]): One entry per group.
     """

    transfers: list[Transfer]
    within: list[WithinGroup]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.transfer import Transfer # noqa: PLC0415
        from ..models.within_group import WithinGroup # noqa: PLC0415
        transfers = []
        for transfers_item_data in self.transfers:
            transfers_item = transfers_item_data.to_dict()
            transfers.append(transfers_item)



        within = []
        for within_item_data in self.within:
            within_item = within_item_data.to_dict()
            within.append(within_item)




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "transfers": transfers,
            "within": within,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.transfer import Transfer # noqa: PLC0415
        from ..models.within_group import WithinGroup # noqa: PLC0415
        d = dict(src_dict)
        transfers = []
        _transfers = d.pop("transfers")
        for transfers_item_data in (_transfers):
            transfers_item = Transfer.from_dict(transfers_item_data)



            transfers.append(transfers_item)


        within = []
        _within = d.pop("within")
        for within_item_data in (_within):
            within_item = WithinGroup.from_dict(within_item_data)



            within.append(within_item)


        transfer_decoding = cls(
            transfers=transfers,
            within=within,
        )


        transfer_decoding.additional_properties = d
        return transfer_decoding

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

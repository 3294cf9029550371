from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.transfer_decoding import TransferDecoding





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
            transfer (None | TransferDecoding | Unset):
     """

    baseline_r2: list[float]
    baseline_r2_mean: float
    grouped: bool
    r2: list[float]
    r2_mean: float
    transfer: None | TransferDecoding | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.transfer_decoding import TransferDecoding # noqa: PLC0415
        baseline_r2 = self.baseline_r2



        baseline_r2_mean = self.baseline_r2_mean

        grouped = self.grouped

        r2 = self.r2



        r2_mean = self.r2_mean

        transfer: dict[str, Any] | None | Unset
        if isinstance(self.transfer, Unset):
            transfer = UNSET
        elif isinstance(self.transfer, TransferDecoding):
            transfer = self.transfer.to_dict()
        else:
            transfer = self.transfer


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "baseline_r2": baseline_r2,
            "baseline_r2_mean": baseline_r2_mean,
            "grouped": grouped,
            "r2": r2,
            "r2_mean": r2_mean,
        })
        if transfer is not UNSET:
            field_dict["transfer"] = transfer

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.transfer_decoding import TransferDecoding # noqa: PLC0415
        d = dict(src_dict)
        baseline_r2 = cast(list[float], d.pop("baseline_r2"))


        baseline_r2_mean = d.pop("baseline_r2_mean")

        grouped = d.pop("grouped")

        r2 = cast(list[float], d.pop("r2"))


        r2_mean = d.pop("r2_mean")

        def _parse_transfer(data: object) -> None | TransferDecoding | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                transfer_type_0 = TransferDecoding.from_dict(data)



                return transfer_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TransferDecoding | Unset, data)

        transfer = _parse_transfer(d.pop("transfer", UNSET))


        decode_info = cls(
            baseline_r2=baseline_r2,
            baseline_r2_mean=baseline_r2_mean,
            grouped=grouped,
            r2=r2,
            r2_mean=r2_mean,
            transfer=transfer,
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

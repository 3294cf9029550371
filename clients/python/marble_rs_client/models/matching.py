from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.match_by import MatchBy
from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.group_matching import GroupMatching





T = TypeVar("T", bound="Matching")



@_attrs_define
class Matching:
    """ Conditions matched across groups by their distances.

        Attributes:
            pairs (list[GroupMatching]): One entry per ordered pair of distinct groups (from, to).
            by (MatchBy | None | Unset):
     """

    pairs: list[GroupMatching]
    by: MatchBy | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.group_matching import GroupMatching # noqa: PLC0415
        pairs = []
        for pairs_item_data in self.pairs:
            pairs_item = pairs_item_data.to_dict()
            pairs.append(pairs_item)



        by: None | str | Unset
        if isinstance(self.by, Unset):
            by = UNSET
        elif isinstance(self.by, MatchBy):
            by = self.by.value
        else:
            by = self.by


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "pairs": pairs,
        })
        if by is not UNSET:
            field_dict["by"] = by

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.group_matching import GroupMatching # noqa: PLC0415
        d = dict(src_dict)
        pairs = []
        _pairs = d.pop("pairs")
        for pairs_item_data in (_pairs):
            pairs_item = GroupMatching.from_dict(pairs_item_data)



            pairs.append(pairs_item)


        def _parse_by(data: object) -> MatchBy | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                by_type_0 = MatchBy(data)



                return by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MatchBy | None | Unset, data)

        by = _parse_by(d.pop("by", UNSET))


        matching = cls(
            pairs=pairs,
            by=by,
        )


        matching.additional_properties = d
        return matching

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

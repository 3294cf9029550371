from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.condition_match import ConditionMatch





T = TypeVar("T", bound="GroupMatching")



@_attrs_define
class GroupMatching:
    """ Every condition of group `from` matched to its nearest condition of group `to`.

        Attributes:
            from_ (str): The group whose conditions are matched.
            matches (list[ConditionMatch]): One match per condition of `from`, in condition order.
            to (str): The group searched for the nearest condition.
            accuracy (float | None | Unset): Fraction of `from`'s conditions whose nearest condition carries the same value
                or
                name.
            chance (float | None | Unset): The accuracy of a match drawn at random from `to`: the mean, over `from`'s
                conditions, of the fraction of `to`'s conditions with the same value or name.
     """

    from_: str
    matches: list[ConditionMatch]
    to: str
    accuracy: float | None | Unset = UNSET
    chance: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.condition_match import ConditionMatch # noqa: PLC0415
        from_ = self.from_

        matches = []
        for matches_item_data in self.matches:
            matches_item = matches_item_data.to_dict()
            matches.append(matches_item)



        to = self.to

        accuracy: float | None | Unset
        if isinstance(self.accuracy, Unset):
            accuracy = UNSET
        else:
            accuracy = self.accuracy

        chance: float | None | Unset
        if isinstance(self.chance, Unset):
            chance = UNSET
        else:
            chance = self.chance


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "from": from_,
            "matches": matches,
            "to": to,
        })
        if accuracy is not UNSET:
            field_dict["accuracy"] = accuracy
        if chance is not UNSET:
            field_dict["chance"] = chance

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.condition_match import ConditionMatch # noqa: PLC0415
        d = dict(src_dict)
        from_ = d.pop("from")

        matches = []
        _matches = d.pop("matches")
        for matches_item_data in (_matches):
            matches_item = ConditionMatch.from_dict(matches_item_data)



            matches.append(matches_item)


        to = d.pop("to")

        def _parse_accuracy(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        accuracy = _parse_accuracy(d.pop("accuracy", UNSET))


        def _parse_chance(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        chance = _parse_chance(d.pop("chance", UNSET))


        group_matching = cls(
            from_=from_,
            matches=matches,
            to=to,
            accuracy=accuracy,
            chance=chance,
        )


        group_matching.additional_properties = d
        return group_matching

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

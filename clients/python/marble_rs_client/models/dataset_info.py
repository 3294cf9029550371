from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.params import Params
  from ..models.summary import Summary





T = TypeVar("T", bound="DatasetInfo")



@_attrs_define
class DatasetInfo:
    """ A stored dataset.

        Attributes:
            created (int): Creation time, seconds since the Unix epoch.
            id (str): Id.
            params (Params): Every parameter of MARBLE: dataset construction, network and training.

                Keys and defaults follow the reference implementation, so a Python params dict pastes in
                as JSON. Missing keys take their defaults; unknown keys are errors.
            summary (Summary): What was built, for people and for `summary.json`.
            name (None | str | Unset): Name given at creation.
     """

    created: int
    id: str
    params: Params
    summary: Summary
    name: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.params import Params # noqa: PLC0415
        from ..models.summary import Summary # noqa: PLC0415
        created = self.created

        id = self.id

        params = self.params.to_dict()

        summary = self.summary.to_dict()

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "created": created,
            "id": id,
            "params": params,
            "summary": summary,
        })
        if name is not UNSET:
            field_dict["name"] = name

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.params import Params # noqa: PLC0415
        from ..models.summary import Summary # noqa: PLC0415
        d = dict(src_dict)
        created = d.pop("created")

        id = d.pop("id")

        params = Params.from_dict(d.pop("params"))




        summary = Summary.from_dict(d.pop("summary"))




        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))


        dataset_info = cls(
            created=created,
            id=id,
            params=params,
            summary=summary,
            name=name,
        )


        dataset_info.additional_properties = d
        return dataset_info

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

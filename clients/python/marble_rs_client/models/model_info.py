from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.losses import Losses
  from ..models.params import Params





T = TypeVar("T", bound="ModelInfo")



@_attrs_define
class ModelInfo:
    """ A trained model.

        Attributes:
            dataset (str): The dataset it was trained on.
            diffusion_time (float): Learned diffusion time.
            id (str): Id (the job's).
            losses (Losses): Losses per epoch, with the reference's names.
            params (Params): Every parameter of MARBLE: dataset construction, network and training.

                Keys and defaults follow the reference implementation, so a Python params dict pastes in
                as JSON. Missing keys take their defaults; unknown keys are errors.
     """

    dataset: str
    diffusion_time: float
    id: str
    losses: Losses
    params: Params
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.losses import Losses # noqa: PLC0415
        from ..models.params import Params # noqa: PLC0415
        dataset = self.dataset

        diffusion_time = self.diffusion_time

        id = self.id

        losses = self.losses.to_dict()

        params = self.params.to_dict()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "dataset": dataset,
            "diffusion_time": diffusion_time,
            "id": id,
            "losses": losses,
            "params": params,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.losses import Losses # noqa: PLC0415
        from ..models.params import Params # noqa: PLC0415
        d = dict(src_dict)
        dataset = d.pop("dataset")

        diffusion_time = d.pop("diffusion_time")

        id = d.pop("id")

        losses = Losses.from_dict(d.pop("losses"))




        params = Params.from_dict(d.pop("params"))




        model_info = cls(
            dataset=dataset,
            diffusion_time=diffusion_time,
            id=id,
            losses=losses,
            params=params,
        )


        model_info.additional_properties = d
        return model_info

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

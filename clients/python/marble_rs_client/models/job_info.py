from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.job_state import JobState
from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="JobInfo")



@_attrs_define
class JobInfo:
    """ A fit job and its progress.

        Attributes:
            created (int): Creation time, seconds since the Unix epoch.
            dataset (str): The dataset being fitted.
            epoch (int): Epochs finished.
            epochs (int): Epochs asked for.
            id (str): Id (also the id of the model it makes).
            state (JobState): State of a job.
            attempts (int | Unset): Times a worker claimed it: more than 1 after a takeover or a restart.
            message (None | str | Unset): Why it failed, or how it was recovered after a restart.
            train_loss (float | None | Unset): Latest training loss.
            val_loss (float | None | Unset): Latest validation loss.
            worker (None | str | Unset): The worker holding the job, or that held it last (`host-pid-n`), once claimed.
     """

    created: int
    dataset: str
    epoch: int
    epochs: int
    id: str
    state: JobState
    attempts: int | Unset = UNSET
    message: None | str | Unset = UNSET
    train_loss: float | None | Unset = UNSET
    val_loss: float | None | Unset = UNSET
    worker: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        created = self.created

        dataset = self.dataset

        epoch = self.epoch

        epochs = self.epochs

        id = self.id

        state = self.state.value

        attempts = self.attempts

        message: None | str | Unset
        if isinstance(self.message, Unset):
            message = UNSET
        else:
            message = self.message

        train_loss: float | None | Unset
        if isinstance(self.train_loss, Unset):
            train_loss = UNSET
        else:
            train_loss = self.train_loss

        val_loss: float | None | Unset
        if isinstance(self.val_loss, Unset):
            val_loss = UNSET
        else:
            val_loss = self.val_loss

        worker: None | str | Unset
        if isinstance(self.worker, Unset):
            worker = UNSET
        else:
            worker = self.worker


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "created": created,
            "dataset": dataset,
            "epoch": epoch,
            "epochs": epochs,
            "id": id,
            "state": state,
        })
        if attempts is not UNSET:
            field_dict["attempts"] = attempts
        if message is not UNSET:
            field_dict["message"] = message
        if train_loss is not UNSET:
            field_dict["train_loss"] = train_loss
        if val_loss is not UNSET:
            field_dict["val_loss"] = val_loss
        if worker is not UNSET:
            field_dict["worker"] = worker

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created = d.pop("created")

        dataset = d.pop("dataset")

        epoch = d.pop("epoch")

        epochs = d.pop("epochs")

        id = d.pop("id")

        state = JobState(d.pop("state"))




        attempts = d.pop("attempts", UNSET)

        def _parse_message(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        message = _parse_message(d.pop("message", UNSET))


        def _parse_train_loss(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        train_loss = _parse_train_loss(d.pop("train_loss", UNSET))


        def _parse_val_loss(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        val_loss = _parse_val_loss(d.pop("val_loss", UNSET))


        def _parse_worker(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        worker = _parse_worker(d.pop("worker", UNSET))


        job_info = cls(
            created=created,
            dataset=dataset,
            epoch=epoch,
            epochs=epochs,
            id=id,
            state=state,
            attempts=attempts,
            message=message,
            train_loss=train_loss,
            val_loss=val_loss,
            worker=worker,
        )


        job_info.additional_properties = d
        return job_info

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

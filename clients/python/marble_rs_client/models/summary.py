from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.diffusion_method import DiffusionMethod
from ..models.graph_type import GraphType
from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.condition_summary import ConditionSummary
  from ..models.step_time import StepTime





T = TypeVar("T", bound="Summary")



@_attrs_define
class Summary:
    """ What was built, for people and for `summary.json`.

        Attributes:
            conditions (list[ConditionSummary]): Per-condition details.
            embedding_dim (int): Embedding dimension D.
            graph_type (GraphType): How the proximity graph of each condition is built.
            local_gauges (bool): Whether local frames were used.
            manifold_dim (int): Manifold dimension m (D in global mode).
            n_conditions (int): Number of conditions.
            n_edges (int): Undirected edges, all conditions.
            n_points (int): Points after sampling, all conditions.
            notes (list[str]): Things the user should know (e.g. a setting that could not apply).
            signal_dim (int): Signal dimension S.
            split (list[int]): Points in train / validation / test.
            timings (list[StepTime]): Time per step.
            canonical_frames (bool | Unset): Whether the local frames were oriented from the data (`canonical_frames`).
            diffusion (DiffusionMethod | None | Unset):
            explained_variance (list[float] | None | Unset): Mean minus standard deviation of the cumulative explained
                variance of the local PCA,
                by number of components (local frames only).
            warnings (list[str] | Unset): Things in the data the user should look at (e.g. a graph in several components).
     """

    conditions: list[ConditionSummary]
    embedding_dim: int
    graph_type: GraphType
    local_gauges: bool
    manifold_dim: int
    n_conditions: int
    n_edges: int
    n_points: int
    notes: list[str]
    signal_dim: int
    split: list[int]
    timings: list[StepTime]
    canonical_frames: bool | Unset = UNSET
    diffusion: DiffusionMethod | None | Unset = UNSET
    explained_variance: list[float] | None | Unset = UNSET
    warnings: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.condition_summary import ConditionSummary # noqa: PLC0415
        from ..models.step_time import StepTime # noqa: PLC0415
        conditions = []
        for conditions_item_data in self.conditions:
            conditions_item = conditions_item_data.to_dict()
            conditions.append(conditions_item)



        embedding_dim = self.embedding_dim

        graph_type = self.graph_type.value

        local_gauges = self.local_gauges

        manifold_dim = self.manifold_dim

        n_conditions = self.n_conditions

        n_edges = self.n_edges

        n_points = self.n_points

        notes = self.notes



        signal_dim = self.signal_dim

        split = self.split



        timings = []
        for timings_item_data in self.timings:
            timings_item = timings_item_data.to_dict()
            timings.append(timings_item)



        canonical_frames = self.canonical_frames

        diffusion: None | str | Unset
        if isinstance(self.diffusion, Unset):
            diffusion = UNSET
        elif isinstance(self.diffusion, DiffusionMethod):
            diffusion = self.diffusion.value
        else:
            diffusion = self.diffusion

        explained_variance: list[float] | None | Unset
        if isinstance(self.explained_variance, Unset):
            explained_variance = UNSET
        elif isinstance(self.explained_variance, list):
            explained_variance = self.explained_variance


        else:
            explained_variance = self.explained_variance

        warnings: list[str] | Unset = UNSET
        if not isinstance(self.warnings, Unset):
            warnings = self.warnings




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "conditions": conditions,
            "embedding_dim": embedding_dim,
            "graph_type": graph_type,
            "local_gauges": local_gauges,
            "manifold_dim": manifold_dim,
            "n_conditions": n_conditions,
            "n_edges": n_edges,
            "n_points": n_points,
            "notes": notes,
            "signal_dim": signal_dim,
            "split": split,
            "timings": timings,
        })
        if canonical_frames is not UNSET:
            field_dict["canonical_frames"] = canonical_frames
        if diffusion is not UNSET:
            field_dict["diffusion"] = diffusion
        if explained_variance is not UNSET:
            field_dict["explained_variance"] = explained_variance
        if warnings is not UNSET:
            field_dict["warnings"] = warnings

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.condition_summary import ConditionSummary # noqa: PLC0415
        from ..models.step_time import StepTime # noqa: PLC0415
        d = dict(src_dict)
        conditions = []
        _conditions = d.pop("conditions")
        for conditions_item_data in (_conditions):
            conditions_item = ConditionSummary.from_dict(conditions_item_data)



            conditions.append(conditions_item)


        embedding_dim = d.pop("embedding_dim")

        graph_type = GraphType(d.pop("graph_type"))




        local_gauges = d.pop("local_gauges")

        manifold_dim = d.pop("manifold_dim")

        n_conditions = d.pop("n_conditions")

        n_edges = d.pop("n_edges")

        n_points = d.pop("n_points")

        notes = cast(list[str], d.pop("notes"))


        signal_dim = d.pop("signal_dim")

        split = cast(list[int], d.pop("split"))


        timings = []
        _timings = d.pop("timings")
        for timings_item_data in (_timings):
            timings_item = StepTime.from_dict(timings_item_data)



            timings.append(timings_item)


        canonical_frames = d.pop("canonical_frames", UNSET)

        def _parse_diffusion(data: object) -> DiffusionMethod | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                diffusion_type_0 = DiffusionMethod(data)



                return diffusion_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DiffusionMethod | None | Unset, data)

        diffusion = _parse_diffusion(d.pop("diffusion", UNSET))


        def _parse_explained_variance(data: object) -> list[float] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                explained_variance_type_0 = cast(list[float], data)

                return explained_variance_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[float] | None | Unset, data)

        explained_variance = _parse_explained_variance(d.pop("explained_variance", UNSET))


        warnings = cast(list[str], d.pop("warnings", UNSET))


        summary = cls(
            conditions=conditions,
            embedding_dim=embedding_dim,
            graph_type=graph_type,
            local_gauges=local_gauges,
            manifold_dim=manifold_dim,
            n_conditions=n_conditions,
            n_edges=n_edges,
            n_points=n_points,
            notes=notes,
            signal_dim=signal_dim,
            split=split,
            timings=timings,
            canonical_frames=canonical_frames,
            diffusion=diffusion,
            explained_variance=explained_variance,
            warnings=warnings,
        )


        summary.additional_properties = d
        return summary

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

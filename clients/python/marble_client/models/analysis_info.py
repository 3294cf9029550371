from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.distance_kind import DistanceKind
from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.analysis_params import AnalysisParams





T = TypeVar("T", bound="AnalysisInfo")



@_attrs_define
class AnalysisInfo:
    """ The analysis of a model's training embedding.

        Attributes:
            centroids (list[list[float]]): Cluster centroids (K x out_channels).
            clusters (list[int]): k-means cluster of each point.
            condition_map (list[list[float]]): The conditions in 2-D by classical MDS of the distances (C x 2).
            distance_kind (DistanceKind): Which distributions are compared.
            distance_method (str): "exact" or the approximation used.
            distances (list[list[float]]): Distances between conditions (C x C).
            histograms (list[list[float]]): Points per condition and cluster (C x K).
            model (str): The model analysed.
            params (AnalysisParams): Settings of the analysis stage. Unknown keys are errors.
            view (list[list[float]]): 2-D view of the points (m x 2).
            view_index (list[int]): Rows shown in `view`.
            view_method (str): How `view` was made.
            condition_names (list[str] | Unset): The name of each condition, in the order of the rows of `distances` (the
                dataset's names; "condition c" for an unnamed one).
     """

    centroids: list[list[float]]
    clusters: list[int]
    condition_map: list[list[float]]
    distance_kind: DistanceKind
    distance_method: str
    distances: list[list[float]]
    histograms: list[list[float]]
    model: str
    params: AnalysisParams
    view: list[list[float]]
    view_index: list[int]
    view_method: str
    condition_names: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.analysis_params import AnalysisParams # noqa: PLC0415
        centroids = []
        for centroids_item_data in self.centroids:
            centroids_item = centroids_item_data


            centroids.append(centroids_item)



        clusters = self.clusters



        condition_map = []
        for condition_map_item_data in self.condition_map:
            condition_map_item = condition_map_item_data


            condition_map.append(condition_map_item)



        distance_kind = self.distance_kind.value

        distance_method = self.distance_method

        distances = []
        for distances_item_data in self.distances:
            distances_item = distances_item_data


            distances.append(distances_item)



        histograms = []
        for histograms_item_data in self.histograms:
            histograms_item = histograms_item_data


            histograms.append(histograms_item)



        model = self.model

        params = self.params.to_dict()

        view = []
        for view_item_data in self.view:
            view_item = view_item_data


            view.append(view_item)



        view_index = self.view_index



        view_method = self.view_method

        condition_names: list[str] | Unset = UNSET
        if not isinstance(self.condition_names, Unset):
            condition_names = self.condition_names




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "centroids": centroids,
            "clusters": clusters,
            "condition_map": condition_map,
            "distance_kind": distance_kind,
            "distance_method": distance_method,
            "distances": distances,
            "histograms": histograms,
            "model": model,
            "params": params,
            "view": view,
            "view_index": view_index,
            "view_method": view_method,
        })
        if condition_names is not UNSET:
            field_dict["condition_names"] = condition_names

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.analysis_params import AnalysisParams # noqa: PLC0415
        d = dict(src_dict)
        centroids = []
        _centroids = d.pop("centroids")
        for centroids_item_data in (_centroids):
            centroids_item = cast(list[float], centroids_item_data)

            centroids.append(centroids_item)


        clusters = cast(list[int], d.pop("clusters"))


        condition_map = []
        _condition_map = d.pop("condition_map")
        for condition_map_item_data in (_condition_map):
            condition_map_item = cast(list[float], condition_map_item_data)

            condition_map.append(condition_map_item)


        distance_kind = DistanceKind(d.pop("distance_kind"))




        distance_method = d.pop("distance_method")

        distances = []
        _distances = d.pop("distances")
        for distances_item_data in (_distances):
            distances_item = cast(list[float], distances_item_data)

            distances.append(distances_item)


        histograms = []
        _histograms = d.pop("histograms")
        for histograms_item_data in (_histograms):
            histograms_item = cast(list[float], histograms_item_data)

            histograms.append(histograms_item)


        model = d.pop("model")

        params = AnalysisParams.from_dict(d.pop("params"))




        view = []
        _view = d.pop("view")
        for view_item_data in (_view):
            view_item = cast(list[float], view_item_data)

            view.append(view_item)


        view_index = cast(list[int], d.pop("view_index"))


        view_method = d.pop("view_method")

        condition_names = cast(list[str], d.pop("condition_names", UNSET))


        analysis_info = cls(
            centroids=centroids,
            clusters=clusters,
            condition_map=condition_map,
            distance_kind=distance_kind,
            distance_method=distance_method,
            distances=distances,
            histograms=histograms,
            model=model,
            params=params,
            view=view,
            view_index=view_index,
            view_method=view_method,
            condition_names=condition_names,
        )


        analysis_info.additional_properties = d
        return analysis_info

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

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
  from ..models.matching import Matching





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
            colour_by (None | str | Unset): What the embedding and vector-field figures were coloured by instead of the
                conditions (the request's `colour_by_name`), when the request gave `colour_by`.
            condition_groups (list[str] | None | Unset): The group (animal, session or network) of each condition, in the
                same order, when
                the conditions were given groups.
            condition_map_explained (list[float] | Unset): Fraction of the distances' variance along each of the two axes of
                `condition_map`
                (positive eigenvalues of the doubly centred squared distances).
            condition_names (list[str] | Unset): The name of each condition, in the order of the rows of `distances` (the
                dataset's names; "condition c" for an unnamed one).
            condition_values (list[float | None] | Unset): The value of each condition (e.g. mu), in the same order; null
                for a condition
                without one.
            matching (Matching | None | Unset):
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
    colour_by: None | str | Unset = UNSET
    condition_groups: list[str] | None | Unset = UNSET
    condition_map_explained: list[float] | Unset = UNSET
    condition_names: list[str] | Unset = UNSET
    condition_values: list[float | None] | Unset = UNSET
    matching: Matching | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.analysis_params import AnalysisParams # noqa: PLC0415
        from ..models.matching import Matching # noqa: PLC0415
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

        colour_by: None | str | Unset
        if isinstance(self.colour_by, Unset):
            colour_by = UNSET
        else:
            colour_by = self.colour_by

        condition_groups: list[str] | None | Unset
        if isinstance(self.condition_groups, Unset):
            condition_groups = UNSET
        elif isinstance(self.condition_groups, list):
            condition_groups = self.condition_groups


        else:
            condition_groups = self.condition_groups

        condition_map_explained: list[float] | Unset = UNSET
        if not isinstance(self.condition_map_explained, Unset):
            condition_map_explained = self.condition_map_explained



        condition_names: list[str] | Unset = UNSET
        if not isinstance(self.condition_names, Unset):
            condition_names = self.condition_names



        condition_values: list[float | None] | Unset = UNSET
        if not isinstance(self.condition_values, Unset):
            condition_values = []
            for condition_values_item_data in self.condition_values:
                condition_values_item: float | None
                condition_values_item = condition_values_item_data
                condition_values.append(condition_values_item)



        matching: dict[str, Any] | None | Unset
        if isinstance(self.matching, Unset):
            matching = UNSET
        elif isinstance(self.matching, Matching):
            matching = self.matching.to_dict()
        else:
            matching = self.matching


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
        if colour_by is not UNSET:
            field_dict["colour_by"] = colour_by
        if condition_groups is not UNSET:
            field_dict["condition_groups"] = condition_groups
        if condition_map_explained is not UNSET:
            field_dict["condition_map_explained"] = condition_map_explained
        if condition_names is not UNSET:
            field_dict["condition_names"] = condition_names
        if condition_values is not UNSET:
            field_dict["condition_values"] = condition_values
        if matching is not UNSET:
            field_dict["matching"] = matching

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.analysis_params import AnalysisParams # noqa: PLC0415
        from ..models.matching import Matching # noqa: PLC0415
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

        def _parse_colour_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        colour_by = _parse_colour_by(d.pop("colour_by", UNSET))


        def _parse_condition_groups(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                condition_groups_type_0 = cast(list[str], data)

                return condition_groups_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        condition_groups = _parse_condition_groups(d.pop("condition_groups", UNSET))


        condition_map_explained = cast(list[float], d.pop("condition_map_explained", UNSET))


        condition_names = cast(list[str], d.pop("condition_names", UNSET))


        _condition_values = d.pop("condition_values", UNSET)
        condition_values: list[float | None] | Unset = UNSET
        if _condition_values is not UNSET:
            condition_values = []
            for condition_values_item_data in _condition_values:
                def _parse_condition_values_item(data: object) -> float | None:
                    if data is None:
                        return data
                    return cast(float | None, data)

                condition_values_item = _parse_condition_values_item(condition_values_item_data)

                condition_values.append(condition_values_item)


        def _parse_matching(data: object) -> Matching | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                matching_type_0 = Matching.from_dict(data)



                return matching_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Matching | None | Unset, data)

        matching = _parse_matching(d.pop("matching", UNSET))


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
            colour_by=colour_by,
            condition_groups=condition_groups,
            condition_map_explained=condition_map_explained,
            condition_names=condition_names,
            condition_values=condition_values,
            matching=matching,
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

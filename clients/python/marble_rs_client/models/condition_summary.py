from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="ConditionSummary")



@_attrs_define
class ConditionSummary:
    """ Per-condition facts for the summary.

        Attributes:
            components (int): Connected components of the proximity graph (more than one gets a warning).
            degree_max (int): Most neighbours of any point.
            degree_min (int): Fewest neighbours of any point.
            diffusion_error (float): Estimated error of Krylov diffusion for t <= 100, relative to |x| (0 for `spectral`).
            diffusion_terms (int): Exponentials per signal channel in the diffusion of this condition (Ritz pairs for
                `krylov`, eigenpairs for `spectral`); the most over channels.
            edges (int): Undirected edges of the proximity graph.
            points_in (int): Points in the input.
            points_sampled (int): Points kept by farthest-point sampling.
            connection_eigenpairs (int | None | Unset): Eigenpairs of the normalised connection Laplacian kept (local frames
                only).
            eigen_residual (float | None | Unset): Largest eigenpair residual |L v - lambda v| (`spectral` only).
            eigenpairs (int | None | Unset): Eigenpairs of the normalised Laplacian kept (`spectral` only).
            eigenvalue_range (list[float] | None | Unset): Smallest and largest kept eigenvalue (`spectral` only).
            group (None | str | Unset): The group (animal, session or network) the condition was recorded in, when the
                conditions were given groups.
            name (None | str | Unset): The condition's name, when it was given one.
            repeated_rows (int | Unset): Input rows merged into an earlier identical anchor (`duplicates = "merge"`).
            value (float | None | Unset): The number the condition was recorded under (e.g. mu), when it was given one.
     """

    components: int
    degree_max: int
    degree_min: int
    diffusion_error: float
    diffusion_terms: int
    edges: int
    points_in: int
    points_sampled: int
    connection_eigenpairs: int | None | Unset = UNSET
    eigen_residual: float | None | Unset = UNSET
    eigenpairs: int | None | Unset = UNSET
    eigenvalue_range: list[float] | None | Unset = UNSET
    group: None | str | Unset = UNSET
    name: None | str | Unset = UNSET
    repeated_rows: int | Unset = UNSET
    value: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        components = self.components

        degree_max = self.degree_max

        degree_min = self.degree_min

        diffusion_error = self.diffusion_error

        diffusion_terms = self.diffusion_terms

        edges = self.edges

        points_in = self.points_in

        points_sampled = self.points_sampled

        connection_eigenpairs: int | None | Unset
        if isinstance(self.connection_eigenpairs, Unset):
            connection_eigenpairs = UNSET
        else:
            connection_eigenpairs = self.connection_eigenpairs

        eigen_residual: float | None | Unset
        if isinstance(self.eigen_residual, Unset):
            eigen_residual = UNSET
        else:
            eigen_residual = self.eigen_residual

        eigenpairs: int | None | Unset
        if isinstance(self.eigenpairs, Unset):
            eigenpairs = UNSET
        else:
            eigenpairs = self.eigenpairs

        eigenvalue_range: list[float] | None | Unset
        if isinstance(self.eigenvalue_range, Unset):
            eigenvalue_range = UNSET
        elif isinstance(self.eigenvalue_range, list):
            eigenvalue_range = self.eigenvalue_range


        else:
            eigenvalue_range = self.eigenvalue_range

        group: None | str | Unset
        if isinstance(self.group, Unset):
            group = UNSET
        else:
            group = self.group

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        repeated_rows = self.repeated_rows

        value: float | None | Unset
        if isinstance(self.value, Unset):
            value = UNSET
        else:
            value = self.value


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "components": components,
            "degree_max": degree_max,
            "degree_min": degree_min,
            "diffusion_error": diffusion_error,
            "diffusion_terms": diffusion_terms,
            "edges": edges,
            "points_in": points_in,
            "points_sampled": points_sampled,
        })
        if connection_eigenpairs is not UNSET:
            field_dict["connection_eigenpairs"] = connection_eigenpairs
        if eigen_residual is not UNSET:
            field_dict["eigen_residual"] = eigen_residual
        if eigenpairs is not UNSET:
            field_dict["eigenpairs"] = eigenpairs
        if eigenvalue_range is not UNSET:
            field_dict["eigenvalue_range"] = eigenvalue_range
        if group is not UNSET:
            field_dict["group"] = group
        if name is not UNSET:
            field_dict["name"] = name
        if repeated_rows is not UNSET:
            field_dict["repeated_rows"] = repeated_rows
        if value is not UNSET:
            field_dict["value"] = value

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        components = d.pop("components")

        degree_max = d.pop("degree_max")

        degree_min = d.pop("degree_min")

        diffusion_error = d.pop("diffusion_error")

        diffusion_terms = d.pop("diffusion_terms")

        edges = d.pop("edges")

        points_in = d.pop("points_in")

        points_sampled = d.pop("points_sampled")

        def _parse_connection_eigenpairs(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        connection_eigenpairs = _parse_connection_eigenpairs(d.pop("connection_eigenpairs", UNSET))


        def _parse_eigen_residual(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        eigen_residual = _parse_eigen_residual(d.pop("eigen_residual", UNSET))


        def _parse_eigenpairs(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        eigenpairs = _parse_eigenpairs(d.pop("eigenpairs", UNSET))


        def _parse_eigenvalue_range(data: object) -> list[float] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                eigenvalue_range_type_0 = cast(list[float], data)

                return eigenvalue_range_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[float] | None | Unset, data)

        eigenvalue_range = _parse_eigenvalue_range(d.pop("eigenvalue_range", UNSET))


        def _parse_group(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        group = _parse_group(d.pop("group", UNSET))


        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))


        repeated_rows = d.pop("repeated_rows", UNSET)

        def _parse_value(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        value = _parse_value(d.pop("value", UNSET))


        condition_summary = cls(
            components=components,
            degree_max=degree_max,
            degree_min=degree_min,
            diffusion_error=diffusion_error,
            diffusion_terms=diffusion_terms,
            edges=edges,
            points_in=points_in,
            points_sampled=points_sampled,
            connection_eigenpairs=connection_eigenpairs,
            eigen_residual=eigen_residual,
            eigenpairs=eigenpairs,
            eigenvalue_range=eigenvalue_range,
            group=group,
            name=name,
            repeated_rows=repeated_rows,
            value=value,
        )


        condition_summary.additional_properties = d
        return condition_summary

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

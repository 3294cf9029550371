from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.distance_kind import DistanceKind
from ..models.embed_method import EmbedMethod
from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="AnalysisParams")



@_attrs_define
class AnalysisParams:
    """ Settings of the analysis stage. Unknown keys are errors.

        Attributes:
            colour_by (list[float] | None | Unset): Colour the embedding and vector-field figures by this variable (e.g.
                hand velocity,
                time in trial) instead of by condition: one value per point, or one per input row
                (all conditions' rows stacked, in order), as `behaviour` in a decoding. Finite. Used
                for the figures only: `analysis.json` keeps its name, not its values.
            colour_by_name (None | str | Unset): What `colour_by` is, written beside the figures' colour bar (default
                "colour_by").
            distance (DistanceKind | Unset): Which distributions are compared.
            embed (EmbedMethod | Unset): How the 2-D view of the embedding is made.
            max_embed_points (int | Unset): UMAP embeds at most this many points (a seeded subsample above). Default: 20000.
            max_points (int | Unset): Point-cloud distances are exact up to this many points per condition; larger
                conditions are subsampled (seeded) to this size. At the default 2500 a pair of
                conditions takes about 0.2 s on one core (network simplex), so 8 conditions take
                about 3 s on 2 cores however many points they hold; 3,500 points a condition cost
                what 2,500 did before the single-precision pricing (0.6 s a pair). Default: 2500.
            min_dist (float | Unset): UMAP minimum distance. Default: 0.1.
            n_clusters (int | Unset): k-means clusters (the reference's default is 15). Default: 15.
            n_neighbors (int | Unset): UMAP neighbours. Default: 15.
            restarts (int | Unset): k-means++ restarts. Default: 10.
            seed (int | Unset): Seed of every random choice in the analysis. Default: 0.
     """

    colour_by: list[float] | None | Unset = UNSET
    colour_by_name: None | str | Unset = UNSET
    distance: DistanceKind | Unset = UNSET
    embed: EmbedMethod | Unset = UNSET
    max_embed_points: int | Unset = 20000
    max_points: int | Unset = 2500
    min_dist: float | Unset = 0.1
    n_clusters: int | Unset = 15
    n_neighbors: int | Unset = 15
    restarts: int | Unset = 10
    seed: int | Unset = 0





    def to_dict(self) -> dict[str, Any]:
        colour_by: list[float] | None | Unset
        if isinstance(self.colour_by, Unset):
            colour_by = UNSET
        elif isinstance(self.colour_by, list):
            colour_by = self.colour_by


        else:
            colour_by = self.colour_by

        colour_by_name: None | str | Unset
        if isinstance(self.colour_by_name, Unset):
            colour_by_name = UNSET
        else:
            colour_by_name = self.colour_by_name

        distance: str | Unset = UNSET
        if not isinstance(self.distance, Unset):
            distance = self.distance.value


        embed: str | Unset = UNSET
        if not isinstance(self.embed, Unset):
            embed = self.embed.value


        max_embed_points = self.max_embed_points

        max_points = self.max_points

        min_dist = self.min_dist

        n_clusters = self.n_clusters

        n_neighbors = self.n_neighbors

        restarts = self.restarts

        seed = self.seed


        field_dict: dict[str, Any] = {}

        field_dict.update({
        })
        if colour_by is not UNSET:
            field_dict["colour_by"] = colour_by
        if colour_by_name is not UNSET:
            field_dict["colour_by_name"] = colour_by_name
        if distance is not UNSET:
            field_dict["distance"] = distance
        if embed is not UNSET:
            field_dict["embed"] = embed
        if max_embed_points is not UNSET:
            field_dict["max_embed_points"] = max_embed_points
        if max_points is not UNSET:
            field_dict["max_points"] = max_points
        if min_dist is not UNSET:
            field_dict["min_dist"] = min_dist
        if n_clusters is not UNSET:
            field_dict["n_clusters"] = n_clusters
        if n_neighbors is not UNSET:
            field_dict["n_neighbors"] = n_neighbors
        if restarts is not UNSET:
            field_dict["restarts"] = restarts
        if seed is not UNSET:
            field_dict["seed"] = seed

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        def _parse_colour_by(data: object) -> list[float] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                colour_by_type_0 = cast(list[float], data)

                return colour_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[float] | None | Unset, data)

        colour_by = _parse_colour_by(d.pop("colour_by", UNSET))


        def _parse_colour_by_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        colour_by_name = _parse_colour_by_name(d.pop("colour_by_name", UNSET))


        _distance = d.pop("distance", UNSET)
        distance: DistanceKind | Unset
        if isinstance(_distance,  Unset):
            distance = UNSET
        else:
            distance = DistanceKind(_distance)




        _embed = d.pop("embed", UNSET)
        embed: EmbedMethod | Unset
        if isinstance(_embed,  Unset):
            embed = UNSET
        else:
            embed = EmbedMethod(_embed)




        max_embed_points = d.pop("max_embed_points", UNSET)

        max_points = d.pop("max_points", UNSET)

        min_dist = d.pop("min_dist", UNSET)

        n_clusters = d.pop("n_clusters", UNSET)

        n_neighbors = d.pop("n_neighbors", UNSET)

        restarts = d.pop("restarts", UNSET)

        seed = d.pop("seed", UNSET)

        analysis_params = cls(
            colour_by=colour_by,
            colour_by_name=colour_by_name,
            distance=distance,
            embed=embed,
            max_embed_points=max_embed_points,
            max_points=max_points,
            min_dist=min_dist,
            n_clusters=n_clusters,
            n_neighbors=n_neighbors,
            restarts=restarts,
            seed=seed,
        )

        return analysis_params


from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.diffusion_method import DiffusionMethod
from ..models.duplicates import Duplicates
from ..models.graph_type import GraphType
from ..models.optimizer import Optimizer
from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="Params")



@_attrs_define
class Params:
    """ Every parameter of MARBLE: dataset construction, network and training.

    Keys and defaults follow the reference implementation, so a Python params dict pastes in
    as JSON. Missing keys take their defaults; unknown keys are errors.

        Attributes:
            batch_norm (bool | Unset): Batch normalisation in the hidden layers (default true). Default: True.
            batch_size (int | Unset): Anchor points per minibatch (default 64). Default: 64.
            bias (bool | Unset): Learn bias terms in the MLP (default true). Default: True.
            canonical_frames (bool | Unset): With `local_gauges`, orient each local frame from the data instead of the
                ambient
                axes (default false, the reference's choice): each axis's sign makes the mean signal
                over the point and its graph neighbours point along it (or, where that mean is
                perpendicular to the axis, the neighbours' third moment), so the frames of an
                exactly rotated copy of a recording are the rotated frames. Also uses local frames
                at embedding dimension 2, where the reference keeps the identity frame, whose
                inner-product features are not invariant under rotation. Beyond the reference. Default: False.
            delta (float | Unset): CkNN scale factor (default 1.0): i ~ j when |x_i - x_j| < delta * sqrt(rho_i rho_j).
                Default: 1.0.
            diffusion (bool | Unset): Diffuse the signal with a learned time t >= 0 before taking gradients (default true).
                Default: True.
            diffusion_method (DiffusionMethod | Unset): How exp(-t L) is applied to the signal for diffusion.
            diffusion_tolerance (float | Unset): Accuracy of diffusion (default 1e-6): the Krylov error relative to |x| for
                t <= 100,
                or the eigenpair residual |L v - lambda v| for `spectral`. Default: 1e-06.
            dropout (float | Unset): Dropout probability in the hidden layers (default 0.0). Default: 0.0.
            duplicates (Duplicates | Unset): What to do with anchors that coincide within a condition (repeated states,
                common in
                binned spike counts; equal up to 1e-12 of the cloud's coordinate range), whose edge
                weight 1 / |x_i - x_j| would be infinite.
            emb_norm (bool | Unset): Normalise the output embedding to the unit sphere (default false). Default: False.
            epochs (int | Unset): Training epochs (default 100). Default: 100.
            frac_geodesic_nb (float | Unset): Size of the geodesic neighbourhood used to fit local frames, as a multiple of
                `k`
                (default 1.5, i.e. 30 neighbours for k = 20). Default: 1.5.
            frac_sampled_nb (float | int | Unset): -1 (all neighbours, the default) or a fraction in (0, 1] Default: -1.
            graph_type (GraphType | Unset): How the proximity graph of each condition is built.
            hidden_channels (int | list[int] | Unset): Widths of the hidden layers: 32 or [64, 32] (default [32])
            include_positions (bool | Unset): Append the anchor positions to the features (default false). Default: False.
            include_self (bool | Unset): Keep the signal itself among the features (default true). Default: True.
            inner_product_features (bool | Unset): Embedding-agnostic mode: replace gradient features by rotation-invariant
                inner
                products between them (default false). Default: False.
            k (int | Unset): Neighbourhood size of the proximity graph (default 20). For `cknn` it sets the local
                scale rho_i (distance to the k-th nearest other point); for `knn` the neighbours kept. Default: 20.
            local_gauges (bool | Unset): Fit a local orthonormal frame at each point and transport signals between frames
                (default false: the identity frame of R^D everywhere). Used only when the embedding
                dimension is above 2 and the signal is a vector. Default: False.
            lr (float | Unset): Initial learning rate (default 0.01). Default: 0.01.
            momentum (float | Unset): SGD momentum (default 0.9). Default: 0.9.
            n_eigenpairs (int | Unset): Most eigenpairs kept per condition and signal channel (default 64): Ritz pairs of
                the Krylov space (`krylov`) or lowest eigenpairs of the normalised (connection)
                Laplacian (`spectral`). Conditions with at most this many rows keep everything. Default: 64.
            optimizer (Optimizer | Unset): Optimiser for training.
            order (int | Unset): Order of the directional-derivative filters (default 2). Default: 2.
            out_channels (int | Unset): Dimension of the embedding (default 3). Default: 3.
            precompute_mib (int | Unset): Memory budget, in MiB, for features precomputed once per dataset (default 4096).
                Within it (and without `vec_norm` or `frac_sampled_nb` < 1), a training step
                gathers its rows of precomputed coefficients instead of differentiating over the
                batch's neighbourhoods; 0 always does the latter. Both give the same features (with
                local frames and diffusion, interpolated in t to 1e-10 of their scale). Default: 4096.
            radius (float | None | Unset): Connection radius for `graph_type = "radius"`, in the units of the anchors.
                Required
                for that graph type, not allowed for the others.
            seed (int | Unset): Seed for every random choice: sampling start, split, initialisation, batches
                (default 0). Default: 0.
            spacing (float | Unset): Farthest-point sampling stops when the next point is closer than `spacing` times the
                cloud's diameter to the points already kept (default 0.0: keep every point). Default: 0.0.
            test_fraction (float | Unset): Fraction of points held out for testing (default 0.1). Default: 0.1.
            val_fraction (float | Unset): Fraction of points held out for validation (default 0.1). Default: 0.1.
            var_explained (float | Unset): Fraction of variance the local frames must explain, on average minus one standard
                deviation over points, to fix the manifold dimension (default 0.9). Default: 0.9.
            vec_norm (bool | Unset): Normalise each order of features to unit length (default false). Default: False.
     """

    batch_norm: bool | Unset = True
    batch_size: int | Unset = 64
    bias: bool | Unset = True
    canonical_frames: bool | Unset = False
    delta: float | Unset = 1.0
    diffusion: bool | Unset = True
    diffusion_method: DiffusionMethod | Unset = UNSET
    diffusion_tolerance: float | Unset = 1e-06
    dropout: float | Unset = 0.0
    duplicates: Duplicates | Unset = UNSET
    emb_norm: bool | Unset = False
    epochs: int | Unset = 100
    frac_geodesic_nb: float | Unset = 1.5
    frac_sampled_nb: float | int | Unset = -1
    graph_type: GraphType | Unset = UNSET
    hidden_channels: int | list[int] | Unset = UNSET
    include_positions: bool | Unset = False
    include_self: bool | Unset = True
    inner_product_features: bool | Unset = False
    k: int | Unset = 20
    local_gauges: bool | Unset = False
    lr: float | Unset = 0.01
    momentum: float | Unset = 0.9
    n_eigenpairs: int | Unset = 64
    optimizer: Optimizer | Unset = UNSET
    order: int | Unset = 2
    out_channels: int | Unset = 3
    precompute_mib: int | Unset = 4096
    radius: float | None | Unset = UNSET
    seed: int | Unset = 0
    spacing: float | Unset = 0.0
    test_fraction: float | Unset = 0.1
    val_fraction: float | Unset = 0.1
    var_explained: float | Unset = 0.9
    vec_norm: bool | Unset = False





    def to_dict(self) -> dict[str, Any]:
        batch_norm = self.batch_norm

        batch_size = self.batch_size

        bias = self.bias

        canonical_frames = self.canonical_frames

        delta = self.delta

        diffusion = self.diffusion

        diffusion_method: str | Unset = UNSET
        if not isinstance(self.diffusion_method, Unset):
            diffusion_method = self.diffusion_method.value


        diffusion_tolerance = self.diffusion_tolerance

        dropout = self.dropout

        duplicates: str | Unset = UNSET
        if not isinstance(self.duplicates, Unset):
            duplicates = self.duplicates.value


        emb_norm = self.emb_norm

        epochs = self.epochs

        frac_geodesic_nb = self.frac_geodesic_nb

        frac_sampled_nb: float | int | Unset
        if isinstance(self.frac_sampled_nb, Unset):
            frac_sampled_nb = UNSET
        else:
            frac_sampled_nb = self.frac_sampled_nb

        graph_type: str | Unset = UNSET
        if not isinstance(self.graph_type, Unset):
            graph_type = self.graph_type.value


        hidden_channels: int | list[int] | Unset
        if isinstance(self.hidden_channels, Unset):
            hidden_channels = UNSET
        elif isinstance(self.hidden_channels, list):
            hidden_channels = self.hidden_channels


        else:
            hidden_channels = self.hidden_channels

        include_positions = self.include_positions

        include_self = self.include_self

        inner_product_features = self.inner_product_features

        k = self.k

        local_gauges = self.local_gauges

        lr = self.lr

        momentum = self.momentum

        n_eigenpairs = self.n_eigenpairs

        optimizer: str | Unset = UNSET
        if not isinstance(self.optimizer, Unset):
            optimizer = self.optimizer.value


        order = self.order

        out_channels = self.out_channels

        precompute_mib = self.precompute_mib

        radius: float | None | Unset
        if isinstance(self.radius, Unset):
            radius = UNSET
        else:
            radius = self.radius

        seed = self.seed

        spacing = self.spacing

        test_fraction = self.test_fraction

        val_fraction = self.val_fraction

        var_explained = self.var_explained

        vec_norm = self.vec_norm


        field_dict: dict[str, Any] = {}

        field_dict.update({
        })
        if batch_norm is not UNSET:
            field_dict["batch_norm"] = batch_norm
        if batch_size is not UNSET:
            field_dict["batch_size"] = batch_size
        if bias is not UNSET:
            field_dict["bias"] = bias
        if canonical_frames is not UNSET:
            field_dict["canonical_frames"] = canonical_frames
        if delta is not UNSET:
            field_dict["delta"] = delta
        if diffusion is not UNSET:
            field_dict["diffusion"] = diffusion
        if diffusion_method is not UNSET:
            field_dict["diffusion_method"] = diffusion_method
        if diffusion_tolerance is not UNSET:
            field_dict["diffusion_tolerance"] = diffusion_tolerance
        if dropout is not UNSET:
            field_dict["dropout"] = dropout
        if duplicates is not UNSET:
            field_dict["duplicates"] = duplicates
        if emb_norm is not UNSET:
            field_dict["emb_norm"] = emb_norm
        if epochs is not UNSET:
            field_dict["epochs"] = epochs
        if frac_geodesic_nb is not UNSET:
            field_dict["frac_geodesic_nb"] = frac_geodesic_nb
        if frac_sampled_nb is not UNSET:
            field_dict["frac_sampled_nb"] = frac_sampled_nb
        if graph_type is not UNSET:
            field_dict["graph_type"] = graph_type
        if hidden_channels is not UNSET:
            field_dict["hidden_channels"] = hidden_channels
        if include_positions is not UNSET:
            field_dict["include_positions"] = include_positions
        if include_self is not UNSET:
            field_dict["include_self"] = include_self
        if inner_product_features is not UNSET:
            field_dict["inner_product_features"] = inner_product_features
        if k is not UNSET:
            field_dict["k"] = k
        if local_gauges is not UNSET:
            field_dict["local_gauges"] = local_gauges
        if lr is not UNSET:
            field_dict["lr"] = lr
        if momentum is not UNSET:
            field_dict["momentum"] = momentum
        if n_eigenpairs is not UNSET:
            field_dict["n_eigenpairs"] = n_eigenpairs
        if optimizer is not UNSET:
            field_dict["optimizer"] = optimizer
        if order is not UNSET:
            field_dict["order"] = order
        if out_channels is not UNSET:
            field_dict["out_channels"] = out_channels
        if precompute_mib is not UNSET:
            field_dict["precompute_mib"] = precompute_mib
        if radius is not UNSET:
            field_dict["radius"] = radius
        if seed is not UNSET:
            field_dict["seed"] = seed
        if spacing is not UNSET:
            field_dict["spacing"] = spacing
        if test_fraction is not UNSET:
            field_dict["test_fraction"] = test_fraction
        if val_fraction is not UNSET:
            field_dict["val_fraction"] = val_fraction
        if var_explained is not UNSET:
            field_dict["var_explained"] = var_explained
        if vec_norm is not UNSET:
            field_dict["vec_norm"] = vec_norm

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        batch_norm = d.pop("batch_norm", UNSET)

        batch_size = d.pop("batch_size", UNSET)

        bias = d.pop("bias", UNSET)

        canonical_frames = d.pop("canonical_frames", UNSET)

        delta = d.pop("delta", UNSET)

        diffusion = d.pop("diffusion", UNSET)

        _diffusion_method = d.pop("diffusion_method", UNSET)
        diffusion_method: DiffusionMethod | Unset
        if isinstance(_diffusion_method,  Unset):
            diffusion_method = UNSET
        else:
            diffusion_method = DiffusionMethod(_diffusion_method)




        diffusion_tolerance = d.pop("diffusion_tolerance", UNSET)

        dropout = d.pop("dropout", UNSET)

        _duplicates = d.pop("duplicates", UNSET)
        duplicates: Duplicates | Unset
        if isinstance(_duplicates,  Unset):
            duplicates = UNSET
        else:
            duplicates = Duplicates(_duplicates)




        emb_norm = d.pop("emb_norm", UNSET)

        epochs = d.pop("epochs", UNSET)

        frac_geodesic_nb = d.pop("frac_geodesic_nb", UNSET)

        def _parse_frac_sampled_nb(data: object) -> float | int | Unset:
            if isinstance(data, Unset):
                return data
            return cast(float | int | Unset, data)

        frac_sampled_nb = _parse_frac_sampled_nb(d.pop("frac_sampled_nb", UNSET))


        _graph_type = d.pop("graph_type", UNSET)
        graph_type: GraphType | Unset
        if isinstance(_graph_type,  Unset):
            graph_type = UNSET
        else:
            graph_type = GraphType(_graph_type)




        def _parse_hidden_channels(data: object) -> int | list[int] | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                hidden_channels_type_1 = cast(list[int], data)

                return hidden_channels_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(int | list[int] | Unset, data)

        hidden_channels = _parse_hidden_channels(d.pop("hidden_channels", UNSET))


        include_positions = d.pop("include_positions", UNSET)

        include_self = d.pop("include_self", UNSET)

        inner_product_features = d.pop("inner_product_features", UNSET)

        k = d.pop("k", UNSET)

        local_gauges = d.pop("local_gauges", UNSET)

        lr = d.pop("lr", UNSET)

        momentum = d.pop("momentum", UNSET)

        n_eigenpairs = d.pop("n_eigenpairs", UNSET)

        _optimizer = d.pop("optimizer", UNSET)
        optimizer: Optimizer | Unset
        if isinstance(_optimizer,  Unset):
            optimizer = UNSET
        else:
            optimizer = Optimizer(_optimizer)




        order = d.pop("order", UNSET)

        out_channels = d.pop("out_channels", UNSET)

        precompute_mib = d.pop("precompute_mib", UNSET)

        def _parse_radius(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        radius = _parse_radius(d.pop("radius", UNSET))


        seed = d.pop("seed", UNSET)

        spacing = d.pop("spacing", UNSET)

        test_fraction = d.pop("test_fraction", UNSET)

        val_fraction = d.pop("val_fraction", UNSET)

        var_explained = d.pop("var_explained", UNSET)

        vec_norm = d.pop("vec_norm", UNSET)

        params = cls(
            batch_norm=batch_norm,
            batch_size=batch_size,
            bias=bias,
            canonical_frames=canonical_frames,
            delta=delta,
            diffusion=diffusion,
            diffusion_method=diffusion_method,
            diffusion_tolerance=diffusion_tolerance,
            dropout=dropout,
            duplicates=duplicates,
            emb_norm=emb_norm,
            epochs=epochs,
            frac_geodesic_nb=frac_geodesic_nb,
            frac_sampled_nb=frac_sampled_nb,
            graph_type=graph_type,
            hidden_channels=hidden_channels,
            include_positions=include_positions,
            include_self=include_self,
            inner_product_features=inner_product_features,
            k=k,
            local_gauges=local_gauges,
            lr=lr,
            momentum=momentum,
            n_eigenpairs=n_eigenpairs,
            optimizer=optimizer,
            order=order,
            out_channels=out_channels,
            precompute_mib=precompute_mib,
            radius=radius,
            seed=seed,
            spacing=spacing,
            test_fraction=test_fraction,
            val_fraction=val_fraction,
            var_explained=var_explained,
            vec_norm=vec_norm,
        )

        return params


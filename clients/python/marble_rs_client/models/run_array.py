from enum import StrEnum

class RunArray(StrEnum):
    ANCHOR = "anchor"
    CLUSTERS = "clusters"
    CLUSTER_CENTROIDS = "cluster_centroids"
    CLUSTER_HISTOGRAMS = "cluster_histograms"
    CONDITION = "condition"
    CONDITION_MAP = "condition_map"
    DECODING_PREDICTIONS = "decoding_predictions"
    DISTANCES = "distances"
    EMBEDDING = "embedding"
    SAMPLE_INDEX = "sample_index"
    TRANSPORT_PLANS = "transport_plans"
    VECTOR = "vector"
    VIEW_2D = "view_2d"
    VIEW_2D_INDEX = "view_2d_index"
    VIEW_2D_OPTIMISED = "view_2d_optimised"

    def __str__(self) -> str:
        return str(self.value)

from enum import StrEnum

class PlotKind(StrEnum):
    CLUSTERS = "clusters"
    CONDITION_MAP = "condition_map"
    DISTANCES = "distances"
    EMBEDDING = "embedding"
    LOSSES = "losses"
    VECTOR_FIELD = "vector_field"

    def __str__(self) -> str:
        return str(self.value)

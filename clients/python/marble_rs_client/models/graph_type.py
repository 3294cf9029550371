from enum import StrEnum

class GraphType(StrEnum):
    CKNN = "cknn"
    KNN = "knn"
    RADIUS = "radius"

    def __str__(self) -> str:
        return str(self.value)

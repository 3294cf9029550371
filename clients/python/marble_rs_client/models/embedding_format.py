from enum import StrEnum

class EmbeddingFormat(StrEnum):
    JSON = "json"
    NPY = "npy"

    def __str__(self) -> str:
        return str(self.value)

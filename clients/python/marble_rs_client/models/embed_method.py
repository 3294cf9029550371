from enum import StrEnum

class EmbedMethod(StrEnum):
    PCA = "pca"
    UMAP = "umap"

    def __str__(self) -> str:
        return str(self.value)

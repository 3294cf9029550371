from enum import StrEnum

class DiffusionMethod(StrEnum):
    KRYLOV = "krylov"
    SPECTRAL = "spectral"

    def __str__(self) -> str:
        return str(self.value)

from enum import StrEnum

class Optimizer(StrEnum):
    ADAM = "adam"
    SGD = "sgd"

    def __str__(self) -> str:
        return str(self.value)

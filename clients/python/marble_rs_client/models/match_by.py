from enum import StrEnum

class MatchBy(StrEnum):
    NAME = "name"
    VALUE = "value"

    def __str__(self) -> str:
        return str(self.value)

from enum import StrEnum

class Arrays(StrEnum):
    INCLUDE = "include"
    OMIT = "omit"

    def __str__(self) -> str:
        return str(self.value)

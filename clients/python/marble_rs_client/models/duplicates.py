from enum import StrEnum

class Duplicates(StrEnum):
    ERROR = "error"
    MERGE = "merge"

    def __str__(self) -> str:
        return str(self.value)

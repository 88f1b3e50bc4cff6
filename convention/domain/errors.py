"""Domain errors, mapped to HTTP statuses by the web layer."""


class DomainError(Exception):
    """A rule of the convention forbids the requested change."""


class IllegalTransition(DomainError):
    """A lifecycle does not allow moving from one state to another (HTTP 409)."""

    def __init__(self, lifecycle: str, source: str, target: str) -> None:
        super().__init__(f"{lifecycle}: {source} → {target} is not allowed")
        self.lifecycle = lifecycle
        self.source = source
        self.target = target

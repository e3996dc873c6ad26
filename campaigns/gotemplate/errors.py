"""The one error of the Go template package."""

from __future__ import annotations


class GoTemplateError(ValueError):
    """A template that cannot be parsed or executed: where (line, the action
    as written) and why. campaigns.rendering turns it into its TemplateError."""

    def __init__(self, message: str, *, line: int | None = None, expression: str = ""):
        super().__init__(message)
        self.message = message
        self.line = line
        self.expression = expression

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        said = f"{self.expression}: " if self.expression else ""
        return f"{where}{said}{self.message}"

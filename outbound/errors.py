"""The one exception type for what a user did wrong; everything else is a bug."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix: the message names the file, row, column or field and what
    to do. One that may reach a page or the API also carries a CODE and the VALUES of its
    sentence, so that the web app can say it in the reader's language, without the command-line
    hints of MESSAGE (web/refusals.py)."""

    def __init__(self, message: str, code: str | None = None, **values: object) -> None:
        super().__init__(message)
        self.message, self.code, self.values = message, code, values

    @classmethod
    def of(cls, code: str, text: str, **values: object) -> UserError:
        """The refusal CODE whose command-line message is TEXT with VALUES filled in."""
        return cls(text.format(**values), code, **values)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        # Whole across processes (a compute cluster's workers raise it too), subclasses with
        # their own __init__ included.
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(
    kind: type[UserError], args: tuple[object, ...], state: dict[str, object]
) -> UserError:
    error = kind.__new__(kind)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error

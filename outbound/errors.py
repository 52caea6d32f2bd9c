"""The one exception type for what a user did wrong; everything else is a bug."""


class UserError(Exception):
    """A problem the user can fix: the message names the file, row, column or field and what
    to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

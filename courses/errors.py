"""Refusals of the courses app. Edges turn them into an admin form error, a DRF error or an HTML page."""


class CoursesError(Exception):
    """Base of every refusal the courses app makes."""


class InvalidInput(CoursesError):
    """A rule, pool or override that cannot be saved as given; `field` names the part at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(message)


class NotEntitled(CoursesError):
    """The person may not open this course; `reason` says why in words a learner understands."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)

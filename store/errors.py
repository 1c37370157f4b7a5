"""Domain errors of the store; the CLI turns them into one line and exit code 1."""


class StoreError(Exception):
    """The database cannot be used as asked."""


class SchemaTooNewError(StoreError):
    """The database was migrated by a newer lurewatch than this one."""


class LockHeldError(StoreError):
    """Another run holds the run lock."""


class NotFoundError(StoreError):
    """A row named by the caller does not exist."""


class ReviewError(StoreError):
    """A review-queue operation is not allowed as asked."""


class UnknownDecisionError(ReviewError):
    """A decision word is not one of scam, legit, needs_info, skipped."""


class NoteRequiredError(ReviewError):
    """Clearing a high-scoring ad needs a note saying why."""


class NoteTooLongError(ReviewError):
    """A decision's note is longer than store.queue.MAX_NOTE_CHARS."""


class DecisionConflictError(ReviewError):
    """Someone else already recorded a different decision."""


class LeaseHeldError(ReviewError):
    """Another analyst holds the item's lease."""


class ImportValidationError(StoreError):
    """A decisions file has errors; nothing was applied.

    ``errors`` holds one line per problem, each naming the file and line.
    """

    def __init__(self, errors: list[str], summary: str | None = None) -> None:
        super().__init__(summary or f"{len(errors)} error(s), nothing applied: {errors[0] if errors else ''}")
        self.errors = errors

"""Domain errors of the store; the CLI turns them into one line and exit code 1."""


class StoreError(Exception):
    """The database cannot be used as asked."""


class SchemaTooNewError(StoreError):
    """The database was migrated by a newer lurewatch than this one."""


class NotFoundError(StoreError):
    """A row named by the caller does not exist."""

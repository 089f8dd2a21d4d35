"""The project's own error for bad input.

Every problem a user can fix (an empty file, a missing column, a bad option) is raised as
:class:`InputError`. The command line prints it as one ``error:`` line and exits 2; the app
shows the message. Anything else escaping is a bug.
"""


class InputError(ValueError):
    """Input the user can fix: the message says what is wrong and what to do."""

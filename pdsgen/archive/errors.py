"""The archive commands' error for unusable input (exit status 2, like `LabelError`)."""

from __future__ import annotations

from pdsgen.errors import PdsgenError


class ArchiveInputError(PdsgenError):
    """An archive, index or option pdsgen cannot work with (no index, no LID to derive, a
    member that is not a PDS4 product, a bad time ...): exit status 2. Failures while
    remaking products stay `PdsgenError` (exit status 1)."""

    exit_code = 2

"""Errors in what came in: a person must fix the input (retrying cannot help), or the
counts of what was read do not reconcile with what was kept."""

from __future__ import annotations

from optline.intake.manifest import ManifestError
from optline.intake.readers import MalformedFileError


class ReconciliationError(RuntimeError):
    """Rows were lost or invented between reading and checking; the batch must not merge."""


# Errors in the file or its manifest: retrying cannot help, a person must fix the input.
INPUT_ERRORS = (MalformedFileError, ManifestError)

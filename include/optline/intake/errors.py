"""Errors in what came in: a person must fix the input (retrying cannot help), or the
counts of what was read do not reconcile with what was kept."""

from __future__ import annotations

from optline.config import ConfigError
from optline.intake.manifest import ManifestError
from optline.intake.readers import MalformedFileError


class ReconciliationError(RuntimeError):
    """Rows were lost or invented between reading and checking; the batch must not merge."""


# Errors in the file, its manifest or the configuration (e.g. the number HMAC key, checked
# before any file is read): retrying cannot help, a person must fix the input or the setting.
INPUT_ERRORS = (MalformedFileError, ManifestError, ConfigError)

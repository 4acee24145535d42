"""Errors a user can cause. Each says what is wrong and what to do next.

The CLI prints the message and exits with code 2; the web app answers ``http_status``.
"""

from __future__ import annotations


class ScarwiseError(Exception):
    """Base of every error a user can act on."""

    http_status: int = 400


class InvalidParameterError(ScarwiseError, ValueError):
    """An argument is out of range or of the wrong kind."""

    http_status = 422


class InvalidFileError(ScarwiseError):
    """A file is corrupt, truncated, inconsistent or not what its name says."""

    http_status = 400


class UnsupportedFormatError(ScarwiseError):
    """The file type is not one scarwise reads or writes."""

    http_status = 415


class MissingPixelSizeError(ScarwiseError):
    """A scan stores no pixel size and none was given."""

    http_status = 400


class TooLargeError(ScarwiseError):
    """Input exceeds a configured size limit (points, bytes, decompressed size)."""

    http_status = 413


class EmptySurfaceError(ScarwiseError):
    """A surface has too few valid points to measure."""

    http_status = 422

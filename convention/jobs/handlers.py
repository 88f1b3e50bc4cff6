"""Imports every module that registers a job handler (``@runner.handler``)."""

import convention.members.jobs  # noqa: F401

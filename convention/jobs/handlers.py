"""Imports every module that registers a job handler (``@runner.handler``)."""

import convention.amendments.consolidation  # noqa: F401
import convention.amendments.imports  # noqa: F401
import convention.members.jobs  # noqa: F401
import convention.outputs.handlers  # noqa: F401
import convention.texts.export  # noqa: F401
import convention.versions.imports  # noqa: F401
import convention.votes.tally  # noqa: F401

"""Job handlers of the printed outputs (registered by ``convention.jobs.handlers``)."""

import convention.outputs.book  # noqa: F401
import convention.outputs.spreadsheet  # noqa: F401
import convention.outputs.tracked  # noqa: F401

"""Job handlers of the printed outputs (registered by ``convention.jobs.handlers``)."""

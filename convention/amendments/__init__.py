"""Amendments to the convention's text: submission, co-signatures, clusters and the committee's review."""

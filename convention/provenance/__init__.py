"""Provenance: which contributions and hearings shaped which blocks of the text."""

"""The convention's seed: its document, the curated outline, the parser and the loaders."""

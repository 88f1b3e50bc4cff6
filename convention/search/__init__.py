"""Full-text search over the text, the contributions and the events, in French."""

"""The versions of the text: statuses set by the Bureau national, a new version from a file, differences."""

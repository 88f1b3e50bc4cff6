"""The printed outputs: the amendment book, the consolidated text with tracked changes, exports."""

"""Evaluation: task suites, episodes in isolated environments, checks of the end state."""

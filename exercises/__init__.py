"""Exercises with automatic checks: the question bank, its tests, and grading (issue 14)."""

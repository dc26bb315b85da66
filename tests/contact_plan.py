"""The person-like plan that fills the sandbox contact form (shared by several tests)."""

from guiagent.testing.contact import (
    CONTACT_PLAN,
    CONTACT_TASK,
    CONTACT_VALUES,
    contact_row_mismatches,
)

__all__ = ["CONTACT_PLAN", "CONTACT_TASK", "CONTACT_VALUES", "assert_contact_row"]


def assert_contact_row(row):
    assert contact_row_mismatches(row) == [], row

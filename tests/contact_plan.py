"""The person-like plan that fills the sandbox contact form (shared by several tests)."""

from guiagent.testing import Choose, ClickOn, Finish, TypeText

CONTACT_VALUES = {
    "full_name": "Ada Lovelace",
    "email": "ada@example.org",
    "topic": "Billing",
    "preferred_date": "2026-12-24",
    "message": "Please send the invoice for Müller & Co. — €42, thanks!",
    "preferred_contact": "Phone",
}

CONTACT_PLAN = [
    ClickOn("#full_name", "Full name field"), TypeText(CONTACT_VALUES["full_name"]),
    ClickOn("#email", "Email address field"), TypeText(CONTACT_VALUES["email"]),
    Choose("#topic", CONTACT_VALUES["topic"]),
    ClickOn("#preferred_date", "Preferred date"), TypeText("12242026"),
    ClickOn("#message", "Message box"), TypeText(CONTACT_VALUES["message"]),
    ClickOn("#contact_phone", "Phone radio button"),
    ClickOn("#terms", "I accept the terms"),
    ClickOn("#send", "Send message button"),
    Finish(),
]
CONTACT_TASK = ("Fill the contact form as Ada Lovelace (ada@example.org), topic Billing, "
                "preferred date 2026-12-24, contact by phone, accept the terms, and send it.")


def assert_contact_row(row):
    data = row["data"]
    for key, value in CONTACT_VALUES.items():
        assert data[key] == value, (key, data)
    assert data["terms"] is True
    assert data["newsletter"] is False

"""The sandbox contact form, filled the way a person (and GLM-4.1V) would do it.

One plan, shared by ``guiagent demo --agent`` and the tests: click a field, type
its value, open the dropdown and click an option, type the date as its digits,
tick the boxes, send. :func:`~guiagent.testing.page_plan.plan_answers` turns it
into GLM-format answers with coordinates measured on the real page.
"""

from __future__ import annotations

from .page_plan import Choose, ClickOn, Finish, PlanStep, TypeText

#: What the sandbox must record (its field names) after the plan ran.
CONTACT_VALUES = {
    "full_name": "Ada Lovelace",
    "email": "ada@example.org",
    "topic": "Billing",
    "preferred_date": "2026-12-24",
    "message": "Please send the invoice for Müller & Co. — €42, thanks!",
    "preferred_contact": "Phone",
}

CONTACT_TASK = ("Fill the contact form as Ada Lovelace (ada@example.org), topic Billing, "
                "preferred date 2026-12-24, contact by phone, accept the terms, and send it.")

CONTACT_PLAN: list[PlanStep] = [
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


def contact_row_mismatches(row: dict) -> list[str]:
    """The fields of a recorded contact submission that differ from the plan ('' list: none)."""
    data = row.get("data", {})
    wrong = [f"{key}={data.get(key)!r}" for key, value in CONTACT_VALUES.items()
             if data.get(key) != value]
    if data.get("terms") is not True:
        wrong.append(f"terms={data.get('terms')!r}")
    if data.get("newsletter") is not False:
        wrong.append(f"newsletter={data.get('newsletter')!r}")
    return wrong

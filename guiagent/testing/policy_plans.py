"""The stand-in policy's plans for the bundled web suite, one per task id, in human intentions.

Each plan is what a careful person would do on the sandbox's pages, step by
step; the policy server turns every intention into one action read off the
live screenshot. :func:`plans` keys them by the instruction written in
``guiagent/eval/suites/web.yaml``, so editing an instruction there cannot
silently orphan its plan (a test checks that every task has one).
"""

from __future__ import annotations

from importlib import resources

import yaml

from .intentions import (
    AnswerBeside,
    AnswerCell,
    AnswerText,
    Click,
    ClickField,
    ClickOption,
    Done,
    Fail,
    Intention,
    Press,
    TypeText,
)


def _search(text: str) -> list[Intention]:
    """Search a table: type into the Search field, press the Search button."""
    return [ClickField("Search"), TypeText(text), Click("Search", button=True)]


def _sign_in(password: str = "demo123") -> list[Intention]:
    return [ClickField("Username"), TypeText("demo"), ClickField("Password"), TypeText(password),
            Click("Sign in", button=True)]


def _signup(name: str, email: str, plan: str, address: str) -> list[Intention]:
    return [ClickField("Name"), TypeText(name), ClickField("Email"), TypeText(email),
            Click("Next", button=True), Click(plan), ClickField("Address"), TypeText(address),
            Click("Create account", button=True), Done()]


WEB_PLANS: dict[str, list[Intention]] = {
    "contact-basic": [
        ClickField("Full name"), TypeText("Ada Lovelace"),
        ClickField("Email address"), TypeText("ada@example.org"),
        ClickField("Topic"), ClickOption("Billing", "Topic"),
        ClickField("Message"), TypeText("A question about billing."),
        Click("I accept the terms"), Click("Send message", button=True), Done()],
    "contact-newsletter": [
        ClickField("Full name"), TypeText("Grace Hopper"),
        ClickField("Email address"), TypeText("grace@navy.example"),
        ClickField("Topic"), ClickOption("Support", "Topic"),
        ClickField("Message"), TypeText("My compiler lost a bug"),
        Click("Email", below="Preferred contact"), Click("Subscribe to newsletter"),
        Click("I accept the terms"), Click("Send message", button=True), Done()],
    "signup-pro": _signup("Margaret Hamilton", "margaret@apollo.example", "Pro",
                          "1 Launch Road, Houston"),
    "signup-free": [Click("Create an account"),
                    *_signup("Linus Torvalds", "linus@kernel.example", "Free", "Helsinki")],
    "login-welcome": [*_sign_in(), Done()],
    "login-error-message": [*_sign_in("hunter2"), AnswerText(r"(?i)(invalid.*password)")],
    "login-then-read-status": [*_sign_in(), AnswerCell("#1057", "Status")],
    "order-total": [*_search("1023"), AnswerCell("1023", "Total")],
    "order-customer-page2": [Click("Next"), AnswerCell("1045", "Customer")],
    "orders-cancelled-count": [ClickField("Status"), ClickOption("Cancelled", "Status"),
                               Click("Search", button=True), AnswerText(r"of (\d+) orders")],
    "order-product-by-customer": [*_search("Katherine Johnson"), AnswerCell("2026-07-08", "Product")],
    "orders-page-three": [Click("Next"), Click("Next"), Done()],
    "customer-city": [*_search("Radia"), AnswerCell("Radia Perlman", "City")],
    "customers-in-rome": [*_search("Rome"), AnswerText(r"of (\d+) customers")],
    "balance-due": [AnswerBeside("Balance due")],
    "order-mark-shipped": [*_search("1022"), Click("Open", row="1022"), ClickField("Status"),
                           ClickOption("Shipped", "Status"), Click("Save changes", button=True),
                           Done()],
    "order-add-note": [ClickField("Note"), TypeText("Leave at the front desk"),
                       Click("Save changes", button=True), Done()],
    "order-cancel": [ClickField("Status"), ClickOption("Cancelled", "Status"),
                     Click("Save changes", button=True), Done()],
    "order-delete": [Click("Delete order", button=True), Click("Yes, delete", button=True), Done()],
    "customer-add": [
        Click("Add customer", button=True), ClickField("Name"), TypeText("Kay Nygaard"),
        ClickField("Email"), TypeText("kay@simula.example"), ClickField("City"), TypeText("Oslo"),
        ClickField("Company"), TypeText("Simula"), Click("Add customer", button=True, below="Company"),
        Done()],
    "customer-edit-email": [
        Click("Edit", row="Alan Turing"), ClickField("Email"), Press("ctrl+a"),
        TypeText("alan@bletchley.example"), Click("Save customer", button=True), Done()],
    "customer-delete": [*_search("Yuki"), Click("Edit", row="Yuki Tanaka"),
                        Click("Delete", button=True), Click("Yes, delete", button=True), Done()],
    "new-order-wizard": [
        ClickField("Customer name"), TypeText("Grace Hopper"),
        ClickField("Product"), ClickOption("Webcam", "Product"), Click("Next", button=True),
        ClickField("Quantity"), TypeText("3"), Click("Express"), Click("Gift wrap"),
        Click("Next", button=True), Click("Place order", button=True), Done()],
    "settings-notifications": [Click("Email notifications"), Click("SMS notifications"),
                               Click("Save settings", button=True), Done()],
    "settings-language-timezone": [
        ClickField("Language"), ClickOption("Deutsch", "Language"),
        ClickField("Time zone"), ClickOption("Europe/Berlin", "Time zone"),
        Click("Save settings", button=True), Done()],
    "settings-dark-mode": [Click("Settings"), Click("Dark mode"), Click("Save settings", button=True),
                           Done()],
    "profile-phone": [ClickField("Phone"), TypeText("+44 20 7946 0000"),
                      Click("Save profile", button=True), Done()],
    "no-pizza": [Fail("this portal sells office goods; there is no pizza to order")],
    "export-orders-pdf": [Fail("the order list has no export")],
    "refund-order": [Fail("an order can only change status or note; there is no refund")],
    "delete-customer-with-orders": [
        *_search("Grace"), Click("Edit", row="Grace Hopper"), Click("Delete", button=True),
        Fail("the site refuses: the customer still has orders")],
}


def suite_instructions(name: str = "web") -> dict[str, str]:
    """Task id -> instruction of a bundled suite file."""
    text = resources.files("guiagent").joinpath(f"eval/suites/{name}.yaml").read_text("utf-8")
    return {t["id"]: t["instruction"] for t in yaml.safe_load(text)}


def plans() -> dict[str, list[Intention]]:
    """The web suite's plans keyed by task instruction (what the policy finds in a prompt)."""
    instructions = suite_instructions("web")
    return {instructions[task_id]: plan for task_id, plan in WEB_PLANS.items()
            if task_id in instructions}

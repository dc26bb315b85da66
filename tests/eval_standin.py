"""A stand-in model for evaluation tests: per-task plans measured on the real sandbox pages.

Each request is answered from the plan of the task named in its prompt, at the
step its history has reached, so parallel episodes of different tasks can share
one server. A task without a plan gets ``FAIL()``.
"""

from __future__ import annotations

from guiagent.sandboxes.web import WebSandbox
from guiagent.testing.model_server import GlmModelServer, ModelRequest, glm_answer
from guiagent.testing.page_plan import Choose, ClickOn, Finish, PlanStep, TypeText, plan_answers

CONTACT_TASK = "Send the contact form as Ada Lovelace (ada@example.org) about billing."

CONTACT_PLAN: list[PlanStep] = [
    ClickOn("#full_name", "Full name"), TypeText("Ada Lovelace"),
    ClickOn("#email", "Email address"), TypeText("ada@example.org"),
    Choose("#topic", "Billing"),
    ClickOn("#message", "Message"), TypeText("A question about billing."),
    ClickOn("#terms", "I accept the terms"),
    ClickOn("#send", "Send message"),
    Finish(),
]


def contact_answers() -> list[str]:
    """The GLM answers of the contact plan, measured on a throwaway sandbox."""
    with WebSandbox() as sandbox:
        return plan_answers(sandbox.url + "/contact", CONTACT_PLAN)


def plan_server(plans: dict[str, list[str]], *, delay: float = 0.0) -> GlmModelServer:
    """Answer each task (by instruction text) from its plan; FAIL() for unknown tasks."""
    from guiagent.testing.model_server import Reply

    fail = glm_answer("FAIL()", explanation="This site cannot do that.")

    def respond(req: ModelRequest) -> Reply:
        answers = next((a for task, a in plans.items() if task in req.task), None)
        text = fail if answers is None else answers[min(req.step, len(answers)) - 1]
        return Reply(content=text, delay=delay)

    return GlmModelServer(respond)

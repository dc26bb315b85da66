"""Test doubles that are real: an HTTP model server speaking GLM-4.1V, and page-measured plans."""

from .model_server import GlmModelServer, ModelRequest, Reply, decode_request, glm_answer
from .page_plan import Choose, ClickOn, Finish, PressKeys, TypeText, plan_answers, plan_intentions
from .standins import IntendedAction, standin, standin_server

__all__ = ["Choose", "ClickOn", "Finish", "GlmModelServer", "IntendedAction", "ModelRequest",
           "PressKeys", "Reply", "TypeText", "decode_request", "glm_answer", "plan_answers",
           "plan_intentions", "standin", "standin_server"]

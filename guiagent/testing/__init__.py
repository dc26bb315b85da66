"""Test doubles that are real: an HTTP model server speaking GLM-4.1V, and page-measured plans."""

from .model_server import GlmModelServer, ModelRequest, Reply, decode_request, glm_answer
from .page_plan import Choose, ClickOn, Finish, PressKeys, TypeText, plan_answers

__all__ = ["Choose", "ClickOn", "Finish", "GlmModelServer", "ModelRequest", "PressKeys", "Reply",
           "TypeText", "decode_request", "glm_answer", "plan_answers"]

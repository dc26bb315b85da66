"""Skills: reusable GUI procedures in YAML, grounded without a model where possible.

A skill describes targets as a person sees them (``click: {text: Submit}``);
the grounding chain finds them through the DOM, OCR, or the model's grounding
query, and every action goes through the driver with real input events.
"""

from .grounding import Box, Grounding, GroundingChain, Miss
from .library import bundled_dir, find_skill, list_skills, skill_files
from .loader import load_skill, parse_skill
from .params import resolve_params
from .runner import SkillRunConfig, SkillRunner, run_skill
from .schema import Parameter, Skill
from .target import Target

__all__ = [
    "Box", "Grounding", "GroundingChain", "Miss", "Parameter", "Skill", "SkillRunConfig",
    "SkillRunner", "Target", "bundled_dir", "find_skill", "list_skills", "load_skill",
    "parse_skill", "resolve_params", "run_skill", "skill_files",
]

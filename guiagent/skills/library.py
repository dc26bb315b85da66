"""Where skills are found: a path, the project's ``./skills``, then the bundled ones.

The bundled skills live in the repository's top-level ``skills/`` folder. An
installed package carries the same files as ``guiagent.skills.bundled``
(pyproject maps that package to the folder, as ``guiagent.sandboxes`` is mapped
to ``sandboxes/``), so they are found through ``importlib.resources`` in
both cases; in a plain source checkout the folder next to the package is used.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from ..errors import ConfigError, SkillFileError
from .loader import load_skill
from .schema import Skill

SKILL_SUFFIXES = (".yaml", ".yml")


def bundled_dir() -> Path:
    """The folder of the skills that ship with guiagent."""
    try:
        found = Path(str(resources.files("guiagent.skills.bundled")))
        if found.is_dir() and any(found.glob("*.yaml")):
            return found
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "skills"


def search_path(extra: list[Path] | None = None) -> list[Path]:
    """Folders searched for skills by name, first match wins."""
    paths = list(extra or [])
    env = os.environ.get("GUIAGENT_SKILLS_PATH")
    if env:
        paths += [Path(p) for p in env.split(os.pathsep) if p]
    paths.append(Path.cwd() / "skills")
    paths.append(bundled_dir())
    out: list[Path] = []
    for p in paths:
        if p.is_dir() and p.resolve() not in [o.resolve() for o in out]:
            out.append(p)
    return out


def skill_files(extra: list[Path] | None = None) -> dict[str, Path]:
    """Skill name (file stem) -> file, earlier folders shadowing later ones."""
    found: dict[str, Path] = {}
    for folder in search_path(extra):
        for path in sorted(folder.iterdir()):
            if path.suffix in SKILL_SUFFIXES and path.stem not in found:
                found[path.stem] = path
    return found


def find_skill(name_or_path: str, extra: list[Path] | None = None) -> Skill:
    """Load a skill given as a file path or a name on the search path."""
    candidate = Path(name_or_path)
    if candidate.suffix in SKILL_SUFFIXES or candidate.exists():
        if not candidate.exists():
            raise SkillFileError(f"{candidate}: no such skill file")
        return load_skill(candidate)
    files = skill_files(extra)
    if name_or_path not in files:
        known = ", ".join(sorted(files)) or "none"
        raise ConfigError(f"no skill named {name_or_path!r} (known: {known}); give a path to "
                          "a .yaml file or run `guiagent skill list`")
    return load_skill(files[name_or_path])


def list_skills(extra: list[Path] | None = None) -> list[tuple[Path, Skill | SkillFileError]]:
    """Every skill on the search path, loaded (or the error that prevents it)."""
    out: list[tuple[Path, Skill | SkillFileError]] = []
    for path in skill_files(extra).values():
        try:
            out.append((path, load_skill(path)))
        except SkillFileError as exc:
            out.append((path, exc))
    return out

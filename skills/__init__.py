"""Bundled skills (YAML files), installed as the package data of ``guiagent.skills.bundled``."""

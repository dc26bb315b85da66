"""Every package directory ships in the wheel, and its data files are declared."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    dirs = {"guiagent": ROOT / "guiagent", "guiagent.sandboxes": ROOT / "sandboxes"}
    found = set()
    for prefix, base in dirs.items():
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            found.add(".".join([prefix, *rel.parts]) if rel.parts else prefix)
    missing = found - listed
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_wheel_holds_the_data_files(tmp_path):
    """Build the real wheel: prompts, templates, static files and bundled skills are inside."""
    import subprocess
    import sys
    import zipfile

    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "BuildBackendWarning" not in proc.stderr, proc.stderr
    (wheel,) = tmp_path.glob("guiagent-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "guiagent/py.typed",
        "guiagent/prompts/glm41v_pc.txt",
        "guiagent/prompts/glm45v_pc.txt",
        "guiagent/prompts/glm45v_pc_actions.txt",
        "guiagent/prompts/glm41v_web.txt",
        "guiagent/protocols/som_marks.js",
        "guiagent/prompts/glm41v_pc_actions.txt",
        "guiagent/drivers/select_shim.js",
        "guiagent/replay/templates/report.html.j2",
        "guiagent/ui/static/index.html",
        "guiagent/ui/static/app.js",
        "guiagent/sandboxes/web/templates/contact.html",
        "guiagent/sandboxes/web/templates/account/orders.html",
        "guiagent/sandboxes/web/static/style.css",
        "guiagent/skills/bundled/fill_web_form.yaml",
        "guiagent/eval/templates/eval_report.html.j2",
        "guiagent/eval/suites/example.yaml",
        "guiagent/eval/suites/web.yaml",
        "guiagent/eval/suites/office.yaml",
        "guiagent/eval/suites/_policies/web.yaml",
        "guiagent/eval/suites/office-files/budget.xlsx",
    }
    assert expected <= names, sorted(expected - names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), sorted(names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    assert "License-Expression: Apache-2.0" in zipfile.ZipFile(wheel).read(metadata).decode()

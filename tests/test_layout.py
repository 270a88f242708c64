"""The README's map holds: every path it names exists, every package is on it, and a newcomer finds each
behaviour the README promises in the module the map names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
LAYOUT = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
MAP_LINES = [  # one bullet a package, its continuation lines joined
    "- " + bullet.replace("\n  ", " ").strip() for bullet in ("\n" + LAYOUT).split("\n- ")[1:]
]

# Behaviour → (the map line that names it, the module, a function or class the module defines).
BEHAVIOURS = {
    "push": ("projects/labelstudio/", "projects/labelstudio/push.py", "push_batch"),
    "pull": ("projects/labelstudio/", "projects/labelstudio/pull.py", "pull_annotations"),
    "gold mixing": ("projects/labeling/", "projects/labeling/gold_mixing.py", "mix_gold"),
    "QA sample": ("projects/quality/sampling/", "projects/quality/sampling/qa_sample.py", "draw_qa_sample"),
    "batch decision": ("projects/quality/review/", "projects/quality/review/verdicts.py", "decide_batch"),
    "dashboard": ("projects/reporting/", "projects/reporting/dashboard.py", "project_dashboard"),
    "costs": ("projects/reporting/", "projects/reporting/costs.py", "vendor_costs"),
    "weekly report": ("projects/reporting/", "projects/reporting/weekly.py", "weekly_report"),
    "tallies": ("projects/reporting/", "projects/reporting/tallies.py", "refresh_stale_tallies"),
    "review pages": ("projects/quality/review/", "projects/quality/review/pages/queue.py", "batches_for_review"),
    "rework": ("projects/quality/review/", "projects/quality/review/rework.py", "send_rework"),
    "dataset build": ("projects/datasets/", "projects/datasets/builds.py", "build_dataset_version"),
    "evaluation": ("projects/evaluation/", "projects/evaluation/runs.py", "evaluate_predictions"),
    "redaction": ("projects/ingest/", "projects/ingest/redaction.py", "redact_text"),
    "scoping": ("projects/access/", "projects/access/scoping.py", "visible"),
    "gold gate": ("projects/workforce/", "projects/workforce/gates.py", "judge_gold"),
    "pause": ("projects/workforce/", "projects/workforce/pauses.py", "reinstate_annotator"),
}


def _map_line(package: str) -> str:
    [line] = [line for line in MAP_LINES if line.startswith(f"- `{package}`")]
    return line


def _packages() -> list[str]:
    found = []
    for init in sorted((ROOT / "projects").rglob("__init__.py")):
        package = init.parent.relative_to(ROOT).as_posix()
        depth = package.count("/")
        if "migrations" in package or "commands" in package:
            continue
        if depth == 1 or (depth == 2 and package.startswith("projects/quality/")) or package == "projects":
            found.append(package + "/")
    return found


def test_every_path_the_map_names_exists():
    missing = []
    for line in MAP_LINES:
        package, description = re.match(r"- `([\w./-]+)`(.*)", line).groups()
        assert (ROOT / package).exists(), package
        for name in re.findall(r"`([\w./-]+)`", description):
            if name.startswith("/") or not re.search(r"\.\w+$|/$", name):
                continue  # a URL or a name that is no file (a function, a command)
            # A module named on a package's line lives in that package; otherwise it is from the root.
            if not any((ROOT / where).exists() for where in (package + name, name, "projects/" + name)):
                missing.append(f"{package}: {name}")
    assert missing == []


def test_every_package_is_on_the_map_with_a_docstring():
    for package in _packages():
        assert any(line.startswith(f"- `{package}`") for line in MAP_LINES), f"{package} is not on the README's map"
        tree = ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{package}__init__.py has no docstring"


@pytest.mark.parametrize("behaviour", sorted(BEHAVIOURS))
def test_the_map_alone_names_the_module_of_each_behaviour(behaviour):
    package, module, name = BEHAVIOURS[behaviour]
    line = _map_line(package)
    module_name = module.removeprefix(package)
    assert f"`{module_name}`" in line or f"`{module_name.split('/')[0]}/`" in line, f"{behaviour}: {line}"
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}
    assert name in defined, f"{module} defines no {name}"

"""Helpers for tests that read the committed notebooks."""
import json
import re

import numpy as np

import cnnlib as cl


def solution_code(notebook_path):
    """The notebook's exercise solution: the code cell tagged "solution" (without its
    "# Solution ..." first line), or else the ```python block of an older <details> cell."""
    cells = json.loads(notebook_path.read_text())["cells"]
    for cell in cells:
        if cell["cell_type"] == "code" and "solution" in cell.get("metadata", {}).get("tags", []):
            from cnnlib.grading import solution_body
            return solution_body("".join(cell["source"]))
    for cell in cells:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and "<details>" in text:
            match = re.search(r"```python\n(.*?)```", text, re.S)
            if match:
                return match.group(1)
    raise AssertionError(f"no <details> solution block in {notebook_path.name}")


def solution_function(notebook_path, name):
    """Run the notebook's solution (without its final print of the checker) and return `name`.

    The code runs with `np` and `cl` available, as in the notebook.
    """
    code = "\n".join(line for line in solution_code(notebook_path).splitlines()
                     if not line.startswith("print("))
    namespace = {"np": np, "cl": cl}
    exec(code, namespace)
    return namespace[name]

"""The Python examples of docs/library.md run and their assertions (against exact results)
hold."""

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "library.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


def test_the_page_has_three_examples():
    assert len(BLOCKS) == 3


@pytest.mark.parametrize("code", BLOCKS, ids=["ising", "su2", "twin"])
def test_example_runs(code):
    import torch

    torch.set_num_threads(1)
    exec(compile(code, str(DOC), "exec"), {})

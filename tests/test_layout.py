"""asrkit.layout holds the file names stages leave for each other; nobody else spells them."""

import ast
from pathlib import Path


from asrkit import layout

PACKAGE = Path(layout.__file__).parent
# names specific enough that a string equal to one is that file; "hyp" or "score" are not
FILE_NAMES = {layout.MODEL_FILE, layout.MODEL_INFO, layout.DECODE_INFO, layout.TIMING,
              layout.SCORE_JSON, layout.RESULTS_MD}


def test_names_are_plain_distinct_file_names():
    names = {k: v for k, v in vars(layout).items() if k.isupper()}
    assert all(isinstance(v, str) and v and "/" not in v for v in names.values())
    assert len(set(names.values())) == len(names)


def test_no_other_module_spells_a_layout_file_name():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == Path(layout.__file__):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in FILE_NAMES:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.value!r}")
    assert not found, "use the names of asrkit.layout:\n" + "\n".join(found)

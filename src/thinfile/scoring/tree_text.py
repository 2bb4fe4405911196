"""A check of LightGBM's text model (``gbm.txt``) before LightGBM reads it.

LightGBM trusts its own files: it finds each tree by the byte sizes in the ``tree_sizes``
header line and follows each tree's child indexes without bounds checks, so a cut or edited
file can crash the process (a read past the end of the text or of a tree's arrays) instead
of raising an error. :func:`tree_text_problem` reads the text as LightGBM will — the header,
each tree at its stated place, ``end of trees`` after the last — and checks that every tree
has its arrays, of the lengths its number of leaves gives, with children, inputs and
category lists that point inside it. It returns what is wrong, or None.
"""

from __future__ import annotations

import re

__all__ = ["tree_text_problem"]

_SPLIT_KEYS = ("split_feature", "threshold", "decision_type", "left_child", "right_child")
_PARAMETER = re.compile(rb"\[\w+: [^\n]*\]")
"""A line of the parameters LightGBM writes after the trees: ``[name: value]``."""
_CATEGORICAL = 1
"""The bit of ``decision_type`` that marks a split on categories."""


def tree_text_problem(text: bytes, width: int) -> str | None:
    """What keeps ``text`` from being a binary LightGBM model of ``width`` inputs, or None."""
    head, _, _ = text.partition(b"\n\n")
    header = _pairs(head.split(b"\n")[1:]) if head.startswith(b"tree\n") else None
    if header is None:
        return "does not start with a LightGBM header"
    if header.get("num_class") != "1" or header.get("max_feature_idx") != str(width - 1):
        return f"is not a model of one class and {width} inputs"
    sizes = _ints(header.get("tree_sizes", ""))
    if not sizes or any(s <= 0 for s in sizes):
        return "has no tree_sizes"
    at = text.find(b"\nTree=0\n") + 1
    if at == 0:
        return "has no first tree"
    for i, size in enumerate(sizes):
        block = text[at : at + size]
        if len(block) != size or not block.startswith(f"Tree={i}\n".encode()):
            return f"is cut or edited at tree {i}"
        problem = _tree_problem(block, width)
        if problem is not None:
            return f"tree {i} {problem}"
        at += size
    if not text[at:].startswith(b"end of trees"):
        return "does not end its trees where tree_sizes says"
    return _tail_problem(text[at:])


def _tail_problem(tail: bytes) -> str | None:
    """The parameters after the trees: whole ``[key: value]`` lines, then their end mark."""
    _, found, rest = tail.partition(b"\nparameters:\n")
    lines, ended, _ = rest.partition(b"\nend of parameters\n")
    if not found or not ended:
        return "has no whole list of parameters"
    if not all(_PARAMETER.fullmatch(line) for line in lines.split(b"\n") if line):
        return "has a parameter line cut or edited"
    return None


def _pairs(lines: list[bytes]) -> dict[str, str] | None:
    out: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.decode("ascii", errors="replace").partition("=")
        if not sep:
            return None
        out[key] = value
    return out


def _ints(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split()]
    except ValueError:
        return []


def _tree_problem(block: bytes, width: int) -> str | None:
    lines = [line for line in block.split(b"\n")[1:] if line]
    fields = _pairs(lines)
    if fields is None:
        return "has a line that is not key=value"
    leaves = _ints(fields.get("num_leaves", ""))
    if len(leaves) != 1 or leaves[0] < 1:
        return "has no number of leaves"
    n = leaves[0]
    if len(fields.get("leaf_value", "").split()) != n:
        return "has not one value per leaf"
    if n == 1:
        return None
    arrays = {key: fields.get(key, "").split() for key in _SPLIT_KEYS}
    if any(len(values) != n - 1 for values in arrays.values()):
        return "has not one split per inner node"
    features = _ints(fields["split_feature"])
    children = _ints(fields["left_child"]) + _ints(fields["right_child"])
    if len(children) != 2 * (n - 1) or any(not 0 <= f < width for f in features):
        return "splits on an input it does not have"
    if any(c >= n - 1 or ~c >= n for c in children):
        return "has a child outside the tree"
    return _categories_problem(fields, n)


def _categories_problem(fields: dict[str, str], n: int) -> str | None:
    kinds = _ints(fields["decision_type"])
    if len(kinds) != n - 1:
        return "has a split of no known kind"
    on_categories = [k for k, kind in enumerate(kinds) if kind & _CATEGORICAL]
    if not on_categories:
        return None
    count = _ints(fields.get("num_cat", ""))
    bounds = _ints(fields.get("cat_boundaries", ""))
    words = fields.get("cat_threshold", "").split()
    if not count or len(bounds) != count[0] + 1 or bounds != sorted(bounds):
        return "has categories without their boundaries"
    if bounds[0] != 0 or bounds[-1] != len(words):
        return "has category boundaries outside its categories"
    thresholds = fields["threshold"].split()
    for k in on_categories:
        try:
            index = int(float(thresholds[k]))
        except ValueError:
            return "has a category split with no category list"
        if not 0 <= index < count[0]:
            return "has a category split with no category list"
    return None

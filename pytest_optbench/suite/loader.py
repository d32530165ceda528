"""YAML text -> plain data, plus a map from each value's path to its line.

PyYAML's own loaders follow YAML 1.1, where `1e-3` is a string, `no` is False, `010` is 8 and
`1:30` is 90, and duplicate keys silently keep the last value. Suites are read with YAML 1.2 core
scalars instead, duplicate keys are errors, and any tag that would construct an object is refused.
Nothing here changes PyYAML's global loaders.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Union

import yaml

from pytest_optbench.suite.errors import Finding, SuiteError

KeyPath = tuple[Union[str, int], ...]  # mapping keys (str) and sequence indexes (int)

_IMPLICIT = "tag:optbench:implicit"
_STD = "tag:yaml.org,2002:"
_MAX_NODES = 200_000  # guards against alias bombs ("billion laughs")

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


@dataclass
class Document:
    """A loaded suite file: its data and where each part of it came from."""

    file: str
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, path: KeyPath) -> int | None:
        """The line of `path`, or of its nearest ancestor that exists in the file."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def finding(self, path: KeyPath, found: str, expected: str, hint: str | None = None,
                field_name: str | None = None) -> Finding:
        return Finding(self.file, self.line_of(path), field_name or dotted(path), found, expected, hint)


def dotted(path: KeyPath) -> str:
    parts: list[str] = []
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts) or "(top level)"


class _ComposeOnly(yaml.SafeLoader):
    """Builds the node tree only; every plain scalar is tagged as implicit for our own rules."""

    yaml_implicit_resolvers: dict[str, Any] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:  # PyYAML hook
        if kind is yaml.ScalarNode and implicit[0]:
            return _IMPLICIT
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]


def load_text(text: str, file: str) -> Document:
    """Parse suite text. Raises SuiteError with file:line for every problem found."""
    from pytest_optbench.suite.suite_bytes import check_characters, check_nesting

    check_characters(text, file)
    check_nesting(text, file)
    loader = _ComposeOnly(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise SuiteError([_syntax_finding(file, exc)]) from None
    except yaml.YAMLError as exc:
        raise SuiteError([Finding(file, None, "(syntax)", f"invalid YAML: {exc}",
                                  "well-formed YAML")]) from None
    except RecursionError:   # block nesting (indentation) deeper than the parser follows
        raise SuiteError([Finding(file, None, "(file)", "nesting deeper than a suite can be",
                                  "a few levels of mappings and lists")]) from None
    finally:
        loader.dispose()
    doc = Document(file, None)
    if node is None:
        raise SuiteError([Finding(file, 1, "(top level)", "an empty file",
                                  "a mapping that starts with 'optbench: 1'")])
    walker = _Walker(doc)
    doc.data = walker.walk(node, ())
    if walker.findings:
        raise SuiteError(walker.findings)
    return doc


def _syntax_finding(file: str, exc: yaml.MarkedYAMLError) -> Finding:
    """Where the parser stopped, with its column. For a construct left open (an unclosed '[')
    the parser stops on a later line: the error is then put where the construct began, the
    line to fix."""
    mark, context = exc.problem_mark, exc.context_mark
    what = exc.problem or str(exc)
    if mark is not None:
        what += f" at line {mark.line + 1}, column {mark.column + 1}"
    if context is not None and exc.context and (mark is None or context.line != mark.line):
        construct = exc.context.removeprefix("while parsing ").removeprefix("while scanning ")
        construct = construct.removeprefix("a ").removeprefix("an ")
        return Finding(file, context.line + 1, "(syntax)", f"invalid YAML: {what}",
                       "well-formed YAML", f"the {construct} that starts here, at column "
                       f"{context.column + 1}, is not closed or not continued correctly")
    where = mark or context
    line = where.line + 1 if where is not None else None
    return Finding(file, line, "(syntax)", f"invalid YAML: {what}", "well-formed YAML")


# A suite is a page or two of YAML: anything far larger is a mistake (a data file named by
# accident), and parsing it would take minutes and gigabytes before saying so.
MAX_SUITE_BYTES = 1 << 20


def load_file(path: str, display: str | None = None) -> Document:
    import os

    size = os.path.getsize(path)
    if size > MAX_SUITE_BYTES:
        raise SuiteError([Finding(display or path, None, "(file)",
                                  f"a file of {size / 2 ** 20:.1f} MiB",
                                  f"a suite file of at most {MAX_SUITE_BYTES >> 20} MiB",
                                  "is this a data file named as a suite?")])
    from pytest_optbench.suite.suite_bytes import decode

    if not os.path.isfile(path):   # a FIFO or a device: reading it may never end
        raise SuiteError([Finding(display or path, None, "(file)", "something that is not a "
                                  "regular file", "a suite file")])
    with open(path, "rb") as handle:
        raw = handle.read(MAX_SUITE_BYTES + 1)
    return load_text(decode(raw, display or path), display or path)


class _Walker:
    def __init__(self, doc: Document):
        self.doc = doc
        self.findings: list[Finding] = []
        self.visited = 0
        self.open: set[int] = set()   # nodes being walked: one met again is a recursive alias

    def fail(self, node: yaml.Node, path: KeyPath, found: str, expected: str,
             hint: str | None = None) -> None:
        self.findings.append(Finding(self.doc.file, node.start_mark.line + 1, dotted(path),
                                     found, expected, hint))

    def walk(self, node: yaml.Node, path: KeyPath) -> Any:
        self.visited += 1
        if self.visited > _MAX_NODES:
            if self.visited == _MAX_NODES + 1:
                self.fail(node, path, f"more than {_MAX_NODES} values (aliases expanding?)",
                          "a suite of reasonable size")
            return None
        self.doc.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            try:
                return self.scalar(node, path)
            except ValueError:   # an integer of thousands of digits
                self.fail(node, path, f"a number of {len(node.value):,} characters",
                          "a number Python can read (an integer has at most 4300 digits)")
                return None
        if id(node) in self.open:
            self.fail(node, path, "an alias that refers to the value that contains it",
                      "plain data without cycles", "a suite cannot hold itself; remove the alias")
            return None
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path)
            if node.tag != _STD + "seq":
                self.bad_tag(node, path)
            return [self.walk(item, path + (i,)) for i, item in enumerate(node.value)]
        finally:
            self.open.discard(id(node))

    def bad_tag(self, node: yaml.Node, path: KeyPath) -> None:
        self.fail(node, path, f"the tag {node.tag.replace(_STD, '!!')}",
                  "plain data (mappings, lists, strings, numbers, booleans, null)",
                  "suites cannot construct objects; remove the tag")

    def mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        if node.tag != _STD + "map":
            self.bad_tag(node, path)
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        merge_nodes: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, path, "a mapping or list used as a key", "a plain string key")
                continue
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key == "<<" and key_node.tag in (_IMPLICIT, _STD + "merge"):
                merge_nodes.append(value_node)
                continue
            if key in first_line:
                self.fail(key_node, path + (key,), f"the key '{key}' a second time",
                          f"each key once (first at line {first_line[key]})",
                          "YAML would silently keep only the last value; remove one")
                continue
            first_line[key] = line
            self.doc.lines.setdefault(path + (key,), line)
            result[key] = self.walk(value_node, path + (key,))
        # Merged keys are walked last so that explicit keys keep their own lines.
        for merge_node in merge_nodes:
            for key, value in self.merge_source(merge_node, path).items():
                result.setdefault(key, value)
        return result

    def merge_source(self, node: yaml.Node, path: KeyPath) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in reversed(sources):  # earlier sources win, as in YAML's merge key
            if not isinstance(source, yaml.MappingNode):
                self.fail(source, path, "a merge key ('<<') with a non-mapping value",
                          "an alias to a mapping, e.g. '<<: *defaults'")
                continue
            merged.update(self.walk(source, path))
        return merged

    def scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        text = node.value
        tag = node.tag
        if tag == _IMPLICIT:
            return _implicit_scalar(text)
        converters: dict[str, Callable[[str], Any]] = {
            "str": str, "null": _explicit_null, "bool": _explicit_bool,
                      "int": _explicit_int, "float": _explicit_float}
        name = tag[len(_STD):] if tag.startswith(_STD) else None
        if name not in converters:
            self.bad_tag(node, path)
            return None
        try:
            return converters[name](text)
        except ValueError:
            self.fail(node, path, f"'{text}' tagged !!{name}", f"a valid {name}")
            return None


def _implicit_scalar(text: str) -> Any:
    """YAML 1.2 core schema resolution of an unquoted scalar."""
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT10.match(text):
        return int(text)
    if _INT8.match(text):
        return int(text[2:], 8)
    if _INT16.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


def _explicit_null(text: str) -> None:
    if not _NULL.match(text):
        raise ValueError(text)
    return None


def _explicit_bool(text: str) -> bool:
    if text not in _BOOL:
        raise ValueError(text)
    return _BOOL[text]


def _explicit_int(text: str) -> int:
    value = _implicit_scalar(text)
    if type(value) is not int:
        raise ValueError(text)
    return value


def _explicit_float(text: str) -> float:
    value = _implicit_scalar(text)
    if type(value) not in (int, float):
        raise ValueError(text)
    return float(value)

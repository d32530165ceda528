"""A JSON Schema of suite files, generated from the pydantic models that validate them, for
editors (VS Code, PyCharm and others read it through a `# yaml-language-server: $schema=`
comment or SchemaStore) and pre-commit.

The schema catches what can be caught without Python: unknown fields, wrong types, unknown
functions, metrics and contracts, a class name that is neither a torch.optim class nor
'package.module:Class'. What needs the optimizer itself (its hyperparameters, whether a
function of your own exists) is left to `optbench validate`, which builds the suite.

The shipped copy (pytest_optbench/suite.schema.json) is regenerated with
`python -m pytest_optbench.schema > pytest_optbench/suite.schema.json`; a test keeps it equal
to what this module generates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).with_name("suite.schema.json")
SCHEMA_ID = "https://github.com/pytest-optbench/pytest-optbench/raw/main/pytest_optbench/suite.schema.json"


def _schema(model: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """The model's schema, its $defs moved into the shared `defs`."""
    schema = model.model_json_schema(ref_template="#/$defs/{model}")
    defs.update(schema.pop("$defs", {}))
    return schema


def _problem(kind: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """A problem of one kind: its fields, its marker required, its metrics by name."""
    schema = _schema(kind.fields, defs)
    schema["title"] = f"{kind.name} problem"
    schema["required"] = [kind.marker]
    schema["properties"][kind.marker] = kind.marker_schema()
    schema["properties"]["expect"] = {
        "type": "object", "description": f"expectations of {kind.name} metrics",
        "propertyNames": {"enum": sorted(kind.metrics)},
        "additionalProperties": {"$ref": "#/$defs/Expectation"}}
    return schema


def _fields_of_any_kind(kinds: list[Any], defs: dict[str, Any]) -> dict[str, Any]:
    """`defaults:` and tiers: any field of any kind of problem."""
    properties: dict[str, Any] = {}
    for kind in kinds:
        properties.update(_schema(kind.fields, defs)["properties"])
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _loosen(defs: dict[str, Any], properties: dict[str, Any]) -> None:
    """What the models' own `before` validators accept besides their declared types."""
    baseline = defs["Expectation"]["properties"]["baseline"]
    baseline["anyOf"].append({"type": "boolean"})   # baseline: true / false
    for name, extra in (("domain", {"type": "array", "items": {"type": "number"},
                                    "minItems": 2, "maxItems": 2}),   # one interval for all
                        ("does_not_converge", {"type": "string"})):  # one reason for all
        if name in properties:
            properties[name] = {"anyOf": [properties[name], extra]}


def build_schema() -> dict[str, Any]:
    from pytest_optbench.kinds import all_kinds
    from pytest_optbench.suite.spec import OWN_NAME_PATTERN, OptimizerEntry, SuiteHeader

    kinds = all_kinds()
    defs: dict[str, Any] = {}
    top = _schema(SuiteHeader, defs)
    entry = _schema(OptimizerEntry, defs)
    entry["additionalProperties"] = True   # every other key is a hyperparameter
    # Any torch.optim name (the list grows with torch, and the schema must not), or one of
    # the user's own, with its colon: "mylib.Lion" is neither.
    entry["properties"]["class"] = {
        "anyOf": [{"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
                  {"type": "string", "pattern": OWN_NAME_PATTERN}],
        "description": "a torch.optim class (Adam), or 'package.module:Class'"}
    top["properties"]["optimizers"] = {"type": "object", "minProperties": 1,
                                       "additionalProperties": entry}
    problems = [_problem(kind, defs) for kind in kinds]
    top["properties"]["problems"] = {"type": "object", "minProperties": 1,
                                     "additionalProperties": {"anyOf": problems}}
    shared = _fields_of_any_kind(kinds, defs)
    top["properties"]["defaults"] = shared
    top["properties"]["tiers"] = {"type": "object", "additionalProperties": shared}
    _loosen(defs, shared["properties"])
    for problem in problems:
        _loosen(defs, problem["properties"])
    return {**top, "$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "optbench suite", "$defs": dict(sorted(defs.items()))}


def schema_text() -> str:
    return json.dumps(build_schema(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")

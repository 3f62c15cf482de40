"""A small CloudFormation evaluator for the template tests: which resources and property values a parameter
set produces (Conditions, Fn::If, AWS::NoValue), and strings rendered from Ref/Sub/Join/Select/Split with
made-up values for what only AWS knows (resource ids, the stack id)."""

from __future__ import annotations

import re
from typing import Any

NO_VALUE = object()
STACK_UUID = "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8b"
PSEUDO = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "imgrec",
    "AWS::StackId": f"arn:aws:cloudformation:us-east-1:123456789012:stack/imgrec/{STACK_UUID}",
}


class Evaluation:
    def __init__(self, template: dict[str, Any], parameters: dict[str, str] | None = None) -> None:
        self.template = template
        declared = template.get("Parameters", {})
        self.values = {name: str(body.get("Default", "")) for name, body in declared.items()}
        self.values.update(parameters or {})
        self._conditions: dict[str, bool] = {}

    # ---------------------------------------------------------------- conditions
    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = self._truth(self.template["Conditions"][name])
        return self._conditions[name]

    def _truth(self, node: Any) -> bool:
        [(function, arguments)] = node.items()
        if function == "Condition":
            return self.condition(arguments)
        if function == "Fn::Equals":
            left, right = (self._scalar(argument) for argument in arguments)
            return left == right
        if function == "Fn::Not":
            return not self._truth(arguments[0])
        if function == "Fn::And":
            return all(self._truth(argument) for argument in arguments)
        if function == "Fn::Or":
            return any(self._truth(argument) for argument in arguments)
        raise ValueError(f"unsupported condition function {function}")

    def _scalar(self, node: Any) -> str:
        if isinstance(node, dict) and set(node) == {"Ref"}:
            return self.values[node["Ref"]]
        if isinstance(node, dict) and set(node) == {"Condition"}:
            return str(self.condition(node["Condition"]))
        return str(node)

    # ---------------------------------------------------------------- Fn::If and AWS::NoValue
    def resolve(self, node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"Fn::If"}:
                name, when_true, when_false = node["Fn::If"]
                return self.resolve(when_true if self.condition(name) else when_false)
            if node == {"Ref": "AWS::NoValue"}:
                return NO_VALUE
            resolved = {key: self.resolve(value) for key, value in node.items()}
            return {key: value for key, value in resolved.items() if value is not NO_VALUE}
        if isinstance(node, list):
            return [value for value in (self.resolve(item) for item in node) if value is not NO_VALUE]
        return node

    @property
    def resources(self) -> dict[str, Any]:
        return {
            name: self.resolve(body)
            for name, body in self.template["Resources"].items()
            if "Condition" not in body or self.condition(body["Condition"])
        }

    @property
    def outputs(self) -> dict[str, Any]:
        return {
            name: self.resolve(body)
            for name, body in self.template.get("Outputs", {}).items()
            if "Condition" not in body or self.condition(body["Condition"])
        }

    # ---------------------------------------------------------------- strings
    def render(self, node: Any, ids: dict[str, str] | None = None) -> str:
        """A string value as deployed, with `ids` (logical id -> made-up physical id) for resources."""
        ids = ids or {}
        node = self.resolve(node)
        if isinstance(node, str):
            return node
        [(function, arguments)] = node.items()
        if function == "Ref":
            return self._reference(arguments, ids)
        if function == "Fn::GetAtt":
            logical, attribute = arguments if isinstance(arguments, list) else arguments.split(".", 1)
            return ids.get(f"{logical}.{attribute}", f"<{logical}.{attribute}>")
        if function == "Fn::Join":
            separator, parts = arguments
            parts = self.resolve(parts)
            items = self._split(parts, ids) if isinstance(parts, dict) else parts
            return separator.join(self.render(part, ids) for part in items)
        if function == "Fn::Select":
            index, items = arguments
            rendered = items if isinstance(items, list) else self._split(items, ids)
            return self.render(rendered[int(index)], ids)
        if function == "Fn::Split":
            raise ValueError("Fn::Split renders to a list; select from it")
        if function == "Fn::Sub":
            return self._substitute(arguments, ids)
        raise ValueError(f"cannot render {function}")

    def _substitute(self, arguments: Any, ids: dict[str, str]) -> str:
        text, variables = (arguments, {}) if isinstance(arguments, str) else arguments
        rendered_vars = {name: self.render(value, ids) for name, value in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in rendered_vars:
                return rendered_vars[name]
            if "." in name:
                return ids.get(name, f"<{name}>")
            return self._reference(name, ids)

        return re.sub(r"\$\{([^}]+)\}", substitute, text)

    def _split(self, node: dict[str, Any], ids: dict[str, str]) -> list[str]:
        separator, source = node["Fn::Split"]
        return self.render(source, ids).split(separator)

    def _reference(self, name: str, ids: dict[str, str]) -> str:
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.values:
            return self.values[name]
        return ids.get(name, f"<{name}>")

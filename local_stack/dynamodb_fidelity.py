"""Two places where moto's DynamoDB differs from DynamoDB in ways that break this product's guarantees
locally, and the fixes the local AWS emulator installs (both idempotent, process-wide, local-only).

1. Atomicity: moto's threaded server evaluates conditions and writes without a lock, so two concurrent
   conditional claims of one job can both succeed. DynamoDB serializes them. Fix: one lock around every
   DynamoDB request.
2. Transactions: moto backs up by deep-copying the whole table once per transaction item, so each job
   transition costs time (and memory) proportional to the table: thousands of jobs made the stack crawl
   and grow to gigabytes. Fix: DynamoDB's own order, checked then written: every condition is evaluated
   first, and only if all hold are the writes applied (under the lock, nothing can intervene). Nothing
   needs rolling back, so nothing is copied.
3. Queries: moto answers every Query by sorting every item of the table, then filtering on the key, so a
   library search over 10,000 images (~100,000 index items) took seconds. DynamoDB reads one partition.
   Fix: a query reads only its partition: the table's own per-hash-key map, or, for an index, a map from
   the index's hash key value to its items, built once and kept until the next write to the table.
"""

from __future__ import annotations

import threading
from typing import Any

_LOCK = threading.RLock()
# Actions that change no item; every other one invalidates the index maps of fix 3.
_READS = frozenset(
    {
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "DescribeTable",
        "ListTables",
        "DescribeTimeToLive",
    }
)
_WRITES = [0]


def install() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler.call_action, "_imgrec_fixed", False):
        return
    unlocked = DynamoHandler.call_action

    def call_action(self: DynamoHandler) -> Any:
        with _LOCK:
            if self._get_action() not in _READS:
                _WRITES[0] += 1  # any other action may change items: index maps are rebuilt on next use
            return unlocked(self)

    call_action._imgrec_fixed = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    _install_partitioned_queries()


def _key_of(backend: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


Operation = tuple[str, dict[str, Any], dict[str, Any]]  # (Put|Update|Delete|ConditionCheck, op, key)


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    from moto.dynamodb.exceptions import TooManyTransactionsException, TransactionCanceledException

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    operations = _parse(self, transact_items)
    errors = [_check(self, op, key) for _, op, key in operations]
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    for operation in operations:
        _apply(self, *operation)


def _parse(backend: Any, transact_items: list[dict[str, Any]]) -> list[Operation]:
    from moto.dynamodb.exceptions import MultipleTransactionsException, TransactWriteSingleOpException

    operations: list[Operation] = []
    seen: set[tuple[str, str]] = set()
    for item in transact_items:
        if len(item) != 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        key = _key_of(backend, op_type, op)
        identity = (op["TableName"], str(sorted(key.items())))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        operations.append((op_type, op, key))
    return operations


def _check(backend: Any, op: dict[str, Any], key: dict[str, Any]) -> tuple[str | None, str | None, None]:
    from moto.dynamodb.comparisons import get_filter_expression

    condition = op.get("ConditionExpression")
    if condition is None:
        return None, None, None
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    if get_filter_expression(condition, names, values).expr(backend.get_item(op["TableName"], key)):
        return None, None, None
    return "ConditionalCheckFailed", "The conditional request failed", None


def _apply(backend: Any, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    table, names, values = op["TableName"], op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    if op_type == "Put":
        backend.put_item(table, op["Item"], expression_attribute_names=names, expression_attribute_values=values)
    elif op_type == "Delete":
        backend.delete_item(table, key, expression_attribute_names=names, expression_attribute_values=values)
    elif op_type == "Update":
        backend.update_item(table, key, op["UpdateExpression"], names or {}, values or {})


def _install_partitioned_queries() -> None:
    from moto.dynamodb.models.table import Table

    whole_table_query = Table.query

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        conditions = kwargs.get("hash_key_conditions") or []
        if index_name and len(conditions) == 1:
            candidates = _index_partition(self, conditions[0][0], conditions[0][1])
        elif not index_name and hash_key is not None:
            stored = self.items.get(hash_key)
            candidates = list(stored.values()) if self.range_key_attr and stored else ([stored] if stored else [])
        else:
            return whole_table_query(self, hash_key, *args, **kwargs)
        self.all_items = lambda: candidates  # read by the original query alone, under the lock
        try:
            return whole_table_query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query  # type: ignore[method-assign]


def _index_partition(table: Any, attribute: str, value: Any) -> list[Any]:
    cached = getattr(table, "_imgrec_index_maps", None)
    if cached is None or cached[0] != _WRITES[0]:
        cached = (_WRITES[0], {})
        table._imgrec_index_maps = cached
    maps: dict[str, dict[Any, list[Any]]] = cached[1]
    if attribute not in maps:
        grouped: dict[Any, list[Any]] = {}
        for item in _all_items_of(table):
            key = item.attrs.get(attribute)
            if key is not None:
                grouped.setdefault((key.type, str(key.value)), []).append(item)
        maps[attribute] = grouped
    return maps[attribute].get((value.type, str(value.value)), [])


def _all_items_of(table: Any) -> list[Any]:
    """moto's own method, past the attribute that shadows it during a query."""
    from moto.dynamodb.models.table import Table

    return Table.all_items(table)  # type: ignore[no-any-return]

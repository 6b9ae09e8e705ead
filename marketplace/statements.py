"""Statements compiled once: reading and inserting model rows without the ORM's per-call compile.

Compiling a queryset costs a few hundred microseconds of Python every time it runs — joins
resolved, columns quoted, converters looked up — and the deadline burst runs a bid submission's
dozen statements in one process, a thousand times a minute, so that compile was the largest part
of a submission's work. The acts on that path build their SQL here once per model and database
vendor and execute it with fresh parameters; rows come back through the fields' own converters
(`Model.from_db`), and go in through the fields' own `get_db_prep_save`, exactly as the ORM does.
Everything else keeps using the ORM.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from django.db import connection, models


@dataclass(frozen=True)
class _Columns:
    fields: tuple[models.Field, ...]
    select: str  # "SELECT <columns> FROM <table>"
    converters: tuple[tuple[int, tuple], ...]  # (position, converters) of the columns that have any


@cache
def _columns(model: type[models.Model], vendor: str) -> _Columns:
    fields = tuple(model._meta.concrete_fields)
    table = model._meta.db_table
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(table)}.{quote(f.column)}" for f in fields)
    compiler = connection.ops.compiler("SQLCompiler")(model.objects.all().query, connection, None)
    found = compiler.get_converters([f.get_col(table) for f in fields])
    converters = tuple((position, (tuple(found[position][0]), found[position][1])) for position in sorted(found))
    return _Columns(fields, f"SELECT {columns} FROM {quote(table)}", converters)  # noqa: S608 (a model's own columns)


def select_sql(model: type[models.Model]) -> str:
    """`SELECT <every concrete column> FROM <table>`, to complete with WHERE … and a lock clause."""
    return _columns(model, connection.vendor).select


def column_list(model: type[models.Model]) -> str:
    """The model's concrete columns, qualified by its table: `select_sql()` without FROM."""
    return _columns(model, connection.vendor).select.split(" FROM ", 1)[0].removeprefix("SELECT ")


def fetch(model: type[models.Model], sql: str, params: Sequence = (), *, annotations: Sequence[str] = ()) -> list[models.Model]:
    """The instances a statement starting with `select_sql(model)` returns.

    `annotations`: names for columns the statement selects after the model's (`column_list()`),
    set on each instance as they come back from the database."""
    meta = _columns(model, connection.vendor)
    width = len(meta.fields)
    instances = []
    for row in _rows(sql, params):
        instance = _instance(model, meta, row[:width])
        for name, value in zip(annotations, row[width:], strict=True):
            setattr(instance, name, value)
        instances.append(instance)
    return instances


def fetch_joined(model: type[models.Model], related: str, sql: str, params: Sequence = ()) -> list[models.Model]:
    """As `select_related(related)`: the statement selects `column_list(model)`, then the related
    model's `column_list()` (an inner join), and each instance comes back with its related one."""
    field = model._meta.get_field(related)
    meta, other = _columns(model, connection.vendor), _columns(field.related_model, connection.vendor)
    width = len(meta.fields)
    instances = []
    for row in _rows(sql, params):
        instance = _instance(model, meta, row[:width])
        field.set_cached_value(instance, _instance(field.related_model, other, row[width:]))
        instances.append(instance)
    return instances


def _rows(sql: str, params: Sequence) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _instance(model: type[models.Model], meta: _Columns, row: Sequence) -> models.Model:
    values = list(row)
    for position, (converters, expression) in meta.converters:
        for convert in converters:
            values[position] = convert(values[position], expression, connection)
    return model.from_db(connection.alias, [f.attname for f in meta.fields], values)


@cache
def _insert_into(model: type[models.Model], vendor: str) -> tuple[tuple[models.Field, ...], str, str]:
    fields = tuple(f for f in model._meta.local_concrete_fields if not isinstance(f, models.AutoField))
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "  # noqa: S608 (a model's own columns)
    return fields, head, "(" + ", ".join(["%s"] * len(fields)) + ")"


def insert_statement(rows: Iterable[models.Model]) -> tuple[str, list]:
    """One multi-row INSERT of new rows of one model (no id read back), as SQL and parameters."""
    rows = list(rows)
    fields, head, values = _insert_into(type(rows[0]), connection.vendor)
    params = [f.get_db_prep_save(f.pre_save(row, True), connection) for row in rows for f in fields]
    return head + ", ".join([values] * len(rows)), params


def mark_saved(rows: Iterable[models.Model]) -> None:
    for row in rows:
        row._state.adding, row._state.db = False, connection.alias


def execute(statements: list[tuple[str, list]]) -> None:
    """Run the statements in order: on PostgreSQL in one round trip (client-side binding sends
    several at once), elsewhere one after another."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(statements) > 1:
            cursor.execute("; ".join(sql for sql, _ in statements), [p for _, params in statements for p in params])
            return
        for sql, params in statements:
            cursor.execute(sql, params)

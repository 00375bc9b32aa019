"""Regenerate ``sqlalchemy.txt``: the objects of docs.sqlalchemy.org that pages may link to.

The official documentation lists its API with autodoc; ``PAGES`` below records,
for each class or function, the page it is documented on and which members
that page documents (taken from the SQLAlchemy documentation sources). The
members themselves come from the installed SQLAlchemy, so every name in the
inventory exists. Run: ``python docs/_inventories/generate.py`` after a
SQLAlchemy upgrade, and review the diff.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

# page -> [(dotted name, members)], members: None (the object only), "own"
# (members defined on the class), "inherited" (also inherited ones), or a tuple.
PAGES: dict[str, list[tuple[str, object]]] = {
    "core/engines.html": [
        ("sqlalchemy.create_engine", None),
        ("sqlalchemy.engine_from_config", None),
        ("sqlalchemy.engine.make_url", None),
        ("sqlalchemy.engine.URL", "own"),
    ],
    "core/connections.html": [
        ("sqlalchemy.engine.Connection", "own"),
        ("sqlalchemy.engine.Engine", "own"),
        ("sqlalchemy.engine.Transaction", "own"),
        ("sqlalchemy.engine.RootTransaction", "inherited"),
        ("sqlalchemy.engine.NestedTransaction", "inherited"),
        ("sqlalchemy.engine.CursorResult", "inherited"),
        ("sqlalchemy.engine.Result", "inherited"),
        ("sqlalchemy.engine.ScalarResult", "inherited"),
        ("sqlalchemy.engine.MappingResult", "inherited"),
        ("sqlalchemy.engine.Row", ("_asdict", "_fields", "_mapping", "_tuple", "count", "index")),
        ("sqlalchemy.engine.RowMapping", "own"),
    ],
    "core/pooling.html": [
        ("sqlalchemy.pool.Pool", ("connect", "dispose", "recreate")),
        ("sqlalchemy.pool.QueuePool", ("connect",)),
        ("sqlalchemy.pool.AsyncAdaptedQueuePool", None),
        ("sqlalchemy.pool.SingletonThreadPool", None),
        ("sqlalchemy.pool.AssertionPool", None),
        ("sqlalchemy.pool.NullPool", None),
        ("sqlalchemy.pool.StaticPool", None),
        ("sqlalchemy.pool.PoolProxiedConnection", "inherited"),
    ],
    "core/metadata.html": [
        ("sqlalchemy.schema.MetaData", "own"),
        ("sqlalchemy.schema.Table", "own"),
        ("sqlalchemy.schema.Column", None),
    ],
    "core/constraints.html": [("sqlalchemy.schema.ForeignKey", None)],
    "core/type_basics.html": [
        ("sqlalchemy.types.Integer", None),
        ("sqlalchemy.types.String", None),
    ],
    "core/sqlelement.html": [
        ("sqlalchemy.sql.expression.text", None),
        ("sqlalchemy.sql.expression.bindparam", None),
        ("sqlalchemy.sql.expression.TextClause", ("bindparams", "columns")),
    ],
    "core/selectable.html": [("sqlalchemy.sql.expression.select", None)],
    "core/dml.html": [
        ("sqlalchemy.sql.expression.insert", None),
        ("sqlalchemy.sql.expression.update", None),
        ("sqlalchemy.sql.expression.delete", None),
    ],
    "core/inspection.html": [("sqlalchemy.inspect", None)],
    "core/exceptions.html": [("sqlalchemy.exc", "exceptions")],
    "orm/exceptions.html": [("sqlalchemy.orm.exc", "exceptions")],
    "orm/session_api.html": [
        ("sqlalchemy.orm.sessionmaker", "inherited"),
        ("sqlalchemy.orm.Session", "inherited"),
        ("sqlalchemy.orm.SessionTransaction", "own"),
        ("sqlalchemy.orm.close_all_sessions", None),
        ("sqlalchemy.orm.make_transient", None),
        ("sqlalchemy.orm.make_transient_to_detached", None),
        ("sqlalchemy.orm.object_session", None),
    ],
    "orm/contextual.html": [("sqlalchemy.orm.scoped_session", "own")],
    "orm/mapping_api.html": [
        ("sqlalchemy.orm.declarative_base", None),
        ("sqlalchemy.orm.DeclarativeBase", None),
        ("sqlalchemy.orm.mapped_column", None),
        ("sqlalchemy.orm.registry", "own"),
        ("sqlalchemy.orm.Mapper", ("local_table", "columns", "attrs")),
        ("sqlalchemy.orm.class_mapper", None),
        ("sqlalchemy.orm.object_mapper", None),
    ],
    "orm/internals.html": [
        ("sqlalchemy.orm.InstanceState", "own"),
        ("sqlalchemy.orm.Mapped", None),
        ("sqlalchemy.orm.MappedColumn", None),
        ("sqlalchemy.orm.IdentityMap", "own"),
        ("sqlalchemy.orm.AttributeState", "own"),
        ("sqlalchemy.orm.InstrumentedAttribute", None),
    ],
    "orm/relationship_api.html": [
        ("sqlalchemy.orm.relationship", None),
        ("sqlalchemy.orm.backref", None),
    ],
    "orm/queryguide/relationships.html": [
        ("sqlalchemy.orm.selectinload", None),
        ("sqlalchemy.orm.joinedload", None),
        ("sqlalchemy.orm.lazyload", None),
        ("sqlalchemy.orm.raiseload", None),
    ],
    "orm/extensions/asyncio.html": [
        ("sqlalchemy.ext.asyncio.create_async_engine", None),
        ("sqlalchemy.ext.asyncio.AsyncEngine", "own"),
        ("sqlalchemy.ext.asyncio.AsyncConnection", "own"),
        ("sqlalchemy.ext.asyncio.AsyncTransaction", "own"),
        ("sqlalchemy.ext.asyncio.AsyncResult", "own"),
        ("sqlalchemy.ext.asyncio.AsyncScalarResult", "own"),
        ("sqlalchemy.ext.asyncio.AsyncMappingResult", "own"),
        ("sqlalchemy.ext.asyncio.async_object_session", None),
        ("sqlalchemy.ext.asyncio.async_session", None),
        ("sqlalchemy.ext.asyncio.async_scoped_session", "own"),
        ("sqlalchemy.ext.asyncio.AsyncSession", "own"),
        ("sqlalchemy.ext.asyncio.AsyncSessionTransaction", "own"),
        ("sqlalchemy.ext.asyncio.async_sessionmaker", "own"),
        ("sqlalchemy.ext.asyncio.AsyncAttrs", ("awaitable_attrs",)),
    ],
}

HEADER = """\
# SQLAlchemy objects the pages may link to (https://docs.sqlalchemy.org/en/21/).
# Generated by generate.py from the installed SQLAlchemy; review changes by hand.
# Format: name domain:role priority uri dispname ("$" in uri = name, "-" = name).
"""


def resolve(dotted: str) -> object:
    module, _, attr = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr)
    except ModuleNotFoundError:
        return importlib.import_module(dotted)


def role_of(obj: object) -> str:
    if inspect.isclass(obj):
        return "py:exception" if issubclass(obj, BaseException) else "py:class"
    if inspect.ismodule(obj):
        return "py:module"
    return "py:function"


def member_role(cls: type, name: str) -> str:
    raw = inspect.getattr_static(cls, name, None)  # None: declared by annotation only
    if isinstance(raw, (staticmethod, classmethod)) or inspect.isfunction(raw):
        return "py:method"
    return "py:attribute"


def documented_members(cls: type, mode: object) -> list[str]:
    if isinstance(mode, tuple):
        return list(mode)
    owners = (
        [cls]
        if mode == "own"
        else [c for c in cls.__mro__ if c.__module__.startswith("sqlalchemy")]
    )
    names = set()
    for owner in owners:
        # attributes documented by annotation plus a docstring in the class body
        names.update(n for n in vars(owner).get("__annotations__", {}) if not n.startswith("_"))
        for name, raw in vars(owner).items():
            if name.startswith("_"):
                continue
            target = getattr(raw, "__func__", raw)
            if getattr(target, "__doc__", None) or isinstance(raw, property):
                names.add(name)
    return sorted(names)


def entries() -> list[str]:
    lines = []
    for page, objects in PAGES.items():
        for dotted, members in objects:
            obj = resolve(dotted)
            if members == "exceptions":
                for name, exc in sorted(vars(obj).items()):
                    if (
                        inspect.isclass(exc)
                        and issubclass(exc, Exception)
                        and (exc.__module__ == dotted)
                    ):
                        lines.append(f"{dotted}.{name} py:exception 1 {page}#$ -")
                continue
            lines.append(f"{dotted} {role_of(obj)} 1 {page}#$ -")
            if members:
                for name in documented_members(obj, members):
                    lines.append(f"{dotted}.{name} {member_role(obj, name)} 1 {page}#$ -")
    return lines


if __name__ == "__main__":
    target = Path(__file__).with_name("sqlalchemy.txt")
    target.write_text(HEADER + "\n".join(entries()) + "\n", encoding="utf-8")
    print(f"wrote {target}")

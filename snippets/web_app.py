"""One session per web request: a small Flask application.

A sessionmaker is created once, when the application starts.  Each request
gets its own Session on first use (kept in ``flask.g``); the view commits or
rolls back, and ``teardown_appcontext`` closes the Session when the request
ends, whatever happened.  Run as a program, the application exercises itself
with Flask's test client and prints every request, its status, its JSON body
and the number of connections still checked out of the pool.
"""

import json
import tempfile
from pathlib import Path

from flask import Flask, g, request
from sqlalchemy import String, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name}


def create_app(database_url: str) -> tuple[Flask, Engine]:
    # Start-up: one engine (with its pool) and one sessionmaker for the whole process.
    engine = create_engine(database_url)
    Base.metadata.create_all(engine)
    SessionFactory = sessionmaker(engine)

    app = Flask(__name__)

    def db_session() -> Session:
        """The Session of the current request, created on first use."""
        if "db_session" not in g:
            g.db_session = SessionFactory()
        return g.db_session

    @app.teardown_appcontext
    def close_db_session(exception: BaseException | None) -> None:
        # Runs at the end of every request, also after an error:
        # close() rolls back what was not committed and returns the connection.
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    @app.get("/items")
    def list_items():
        items = db_session().scalars(select(Item).order_by(Item.id))
        return [item.to_json() for item in items]

    @app.post("/items")
    def create_items():
        session = db_session()
        items = [Item(name=name) for name in request.get_json()["names"]]
        session.add_all(items)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # all of this request's rows are undone, not only the bad one
            return {"error": "an item with this name exists"}, 409
        return [item.to_json() for item in items], 201

    return app, engine


def main(database_url: str) -> None:
    app, engine = create_app(database_url)
    client = app.test_client()
    calls = [
        ("POST", "/items", {"names": ["apple", "pear"]}),
        ("GET", "/items", None),
        ("POST", "/items", {"names": ["plum", "apple"]}),
        ("GET", "/items", None),
        ("POST", "/items", {"names": ["plum"]}),
        ("GET", "/items", None),
    ]
    for method, path, body in calls:
        response = client.open(path, method=method, json=body)
        sent = "" if body is None else " " + json.dumps(body)
        print(f"{method} {path}{sent}")
        print(f"  {response.status_code} {json.dumps(response.get_json())}")
        print(f"  checked-out connections: {engine.pool.checkedout()}")
    engine.dispose()


if __name__ == "__main__":
    # A fresh database file in a temporary directory, removed afterwards.
    with tempfile.TemporaryDirectory() as directory:
        main(f"sqlite:///{Path(directory) / 'web_app.db'}")

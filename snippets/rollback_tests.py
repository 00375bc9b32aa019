"""A test suite whose tests leave the database as they found it.

Each test gets a Session joined to an outer transaction of its own, with
``join_transaction_mode="create_savepoint"``: the Session's commit() releases a
savepoint and its rollback() rolls back to one, while the outer transaction stays
open until the fixture rolls it back.  The file is a pytest module
(``pytest rollback_tests.py`` runs it); run as a program, it runs itself with
pytest.main(), prints each test's outcome and then what the database holds.
"""

import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import String, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)


def create_test_engine(path: Path):
    engine = create_engine(f"sqlite:///{path}")

    # pysqlite: take transaction handling away from the driver, so that the outer
    # transaction really begins and the savepoints live inside it.
    @event.listens_for(engine, "connect")
    def driver_begins_nothing(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def send_begin(conn):
        conn.exec_driver_sql("BEGIN")

    return engine


def names(session: Session) -> list[str]:
    return session.scalars(select(Item.name).order_by(Item.id)).all()


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    """The test database, created once: the table and one committed row."""
    engine = create_test_engine(tmp_path_factory.getbasetemp() / "test.db")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Item(name="apple"))
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    """A connection whose outer transaction is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def session(connection):
    """A Session that works in savepoints inside the test's outer transaction."""
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        yield session


def test_commit(session):
    session.add(Item(name="cherry"))
    session.commit()  # RELEASE SAVEPOINT: the outer transaction holds the row
    assert names(session) == ["apple", "cherry"]


def test_rollback(session):
    session.add(Item(name="plum"))
    session.flush()
    session.rollback()  # ROLLBACK TO SAVEPOINT
    assert names(session) == ["apple"]


def test_rollback_then_keep_working(session, connection):
    session.add(Item(name="fig"))
    session.flush()
    session.rollback()
    assert connection.in_transaction()  # the outer transaction is still open
    session.add(Item(name="kiwi"))
    session.commit()
    assert names(session) == ["apple", "kiwi"]


def test_sees_no_earlier_test(session):
    assert names(session) == ["apple"]


class PrintOutcomes:
    """A tiny pytest plugin: one line per test, with nothing that depends on timing."""

    def pytest_runtest_logreport(self, report):
        # "call" is the test itself; its set-up and tear-down are shown only when they fail
        if report.when == "call" or not report.passed:
            name = report.nodeid.split("::")[-1]
            where = "" if report.when == "call" else f" (in {report.when})"
            print(f"{name}: {report.outcome}{where}")
            if report.failed:
                print(report.longreprtext, file=sys.stderr)


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        basetemp = Path(scratch) / "basetemp"
        config = Path(scratch) / "pytest.ini"
        config.write_text("[pytest]\n")  # an empty configuration: no project settings apply
        exit_code = pytest.main(
            [
                __file__,
                f"--basetemp={basetemp}",
                f"--config-file={config}",
                "--noconftest",
                "-p",
                "no:terminal",  # pytest's own report carries timings
                "-p",
                "no:cacheprovider",
            ],
            plugins=[PrintOutcomes()],
        )
        print("pytest exit code:", int(exit_code))
        if exit_code != 0:
            return int(exit_code)
        engine = create_test_engine(basetemp / "test.db")
        with Session(engine) as session:
            print("rows in the database after the tests:", names(session))
        engine.dispose()
    return int(exit_code)


if __name__ == "__main__":
    sys.exit(main())

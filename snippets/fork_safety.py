"""An engine used across os.fork(): engine.dispose(close=False) in the child.

A forked child process starts as a copy of its parent, with the engine, its
pool and the DBAPI connections in that pool.  A pooled connection is a
socket or file handle that both processes now hold; if both use it, their
traffic mixes on one database connection.

Part 1: the child calls engine.dispose(close=False) before it uses the
engine.  It gets a new, empty pool and opens its own connection, and it
leaves the parent's connection alone.

Part 2: without dispose(), the child's first checkout would hand it the
parent's connection.  Two pool events remember which process opened each
connection and make the pool replace one that another process opened.

Part 3: multiprocessing with the "fork" start method: each worker process
calls dispose(close=False) in its initializer.

A child sends its findings back through a pipe or as a task's return value;
the parent waits for the children and only then prints, so nothing printed
depends on timing or on the order in which the processes run.
os.fork() exists only on POSIX systems such as Linux.
"""

import functools
import multiprocessing
import os

from sqlalchemy import create_engine, event, exc, text

URL = "sqlite:///fork_safety.db"  # a file in the current directory


def dbapi(conn):
    """The DBAPI connection behind a Connection."""
    return conn.connection.dbapi_connection


def in_child(work):
    """Run work() in a forked child; return the line of text it returns."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running the parent's clean-up
        os.close(read_end)
        try:
            report, status = work(), 0
        except BaseException as error:  # report any failure to the parent
            report, status = f"child failed: {error!r}", 1
        os.write(write_end, report.encode())
        os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as pipe:
        report = pipe.read()
    _, wait_status = os.waitpid(pid, 0)  # wait until the child has ended
    return f"{report} (exit code {os.waitstatus_to_exitcode(wait_status)})"


def add_row(engine, who):
    """Insert a row through one connection of the engine; return that DBAPI connection."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO visit (who) VALUES (:who)"), {"who": who})
        return dbapi(conn)


def rows(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT who FROM visit ORDER BY who")).scalars().all()


def part_1_dispose_in_child():
    print("Part 1: engine.dispose(close=False) in the child")
    engine = create_engine(URL)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS visit"))
        conn.execute(text("CREATE TABLE visit (who TEXT)"))
    parents = add_row(engine, "parent, before the fork")
    print(f"  parent: connections in the pool before the fork: {engine.pool.checkedin()}")

    def child_without_dispose():
        # Only a checkout and a checkin, no SQL: harmless with SQLite, and enough
        # to see which connection the inherited pool hands out.
        with engine.connect() as conn:
            same = dbapi(conn) is parents
            return f"child without dispose(): checkout gives the parent's connection: {same}"

    def child():
        inherited = engine.pool.checkedin()
        engine.dispose(close=False)  # a new, empty pool; the inherited connection stays open
        own = add_row(engine, "child")
        return (
            f"child with dispose(close=False): inherited pooled connections {inherited}, "
            f"own new connection {own is not parents}"
        )

    print(f"  {in_child(child_without_dispose)}")
    print(f"  {in_child(child)}")
    same = add_row(engine, "parent, after the fork") is parents
    print(f"  parent: still uses the connection it had before the fork: {same}")
    print(f"  rows: {rows(engine)}")
    engine.dispose()


def part_2_guard_events():
    print("Part 2: pool events that refuse another process's connection")
    engine = create_engine(URL)

    @event.listens_for(engine, "connect")
    def remember_process(dbapi_connection, connection_record):
        connection_record.info["pid"] = os.getpid()

    @event.listens_for(engine, "checkout")
    def check_process(dbapi_connection, connection_record, connection_proxy):
        if connection_record.info["pid"] != os.getpid():
            # Drop the parent's connection without closing it, then make the
            # pool open a new one: DisconnectionError at checkout does that.
            connection_record.dbapi_connection = connection_proxy.dbapi_connection = None
            raise exc.DisconnectionError("connection opened by another process")

    parents = add_row(engine, "parent, part 2")

    def child():
        own = add_row(engine, "child, part 2")  # no dispose() this time
        return f"child without dispose(): its checkout got a new connection: {own is not parents}"

    print(f"  {in_child(child)}")
    same = add_row(engine, "parent, part 2, after the fork") is parents
    print(f"  parent: still uses the connection it had before the fork: {same}")
    engine.dispose()


# Part 3 uses module-level names, because multiprocessing sends tasks by name.
engine_3 = None
parents_3 = None


def worker_task(number):
    """Runs in a worker process; True if the worker used the parent's connection."""
    return add_row(engine_3, f"worker task {number}") is parents_3


def part_3_multiprocessing():
    global engine_3, parents_3
    print("Part 3: multiprocessing (fork) with dispose(close=False) in the initializer")
    engine_3 = create_engine(URL)
    with engine_3.begin() as conn:
        conn.execute(text("DELETE FROM visit"))
    parents_3 = add_row(engine_3, "parent, part 3")
    context = multiprocessing.get_context("fork")
    initializer = functools.partial(engine_3.dispose, close=False)
    with context.Pool(processes=2, initializer=initializer) as pool:
        used_parents = pool.map(worker_task, range(1, 5))
    print(f"  tasks that used the parent's connection: {used_parents.count(True)} of 4")
    print(f"  rows: {rows(engine_3)}")
    engine_3.dispose()


if __name__ == "__main__":
    part_1_dispose_in_child()
    part_2_guard_events()
    part_3_multiprocessing()

"""Several threads share one QueuePool: waiting, the peak, and pool_timeout.

The pool allows pool_size=2 kept connections plus max_overflow=1 extra ones,
so at most three connections are checked out at the same time.

Part 1: five workers each run one short transaction.  Three of them get a
connection at once and hold it until the main thread has seen all three
checked out; the other two must wait until a connection is returned.

Part 2: the same limits with a short pool_timeout.  Three workers hold every
connection, and a fourth one gives up with TimeoutError.

Threads run in no fixed order, so the program prints only facts that do not
depend on that order: counts, a peak, and sorted results.
"""

import threading

from sqlalchemy import create_engine, event, exc, text

URL = "sqlite:///pool_threads.db"  # a file in the current directory
POOL_SIZE = 2
MAX_OVERFLOW = 1
LIMIT = POOL_SIZE + MAX_OVERFLOW


def make_engine(pool_timeout):
    return create_engine(
        URL, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, pool_timeout=pool_timeout
    )


def wait_until(condition, predicate):
    with condition:
        if not condition.wait_for(predicate, timeout=30):
            raise RuntimeError("the workers did not reach the expected point")


def part_1_waiting():
    # pool_timeout=30: long enough that the two late workers wait for a connection.
    engine = make_engine(pool_timeout=30)
    opened = []  # one entry per new DBAPI connection that the pool opens
    event.listen(engine, "connect", lambda dbapi_connection, record: opened.append(1))
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS visit"))
        conn.execute(text("CREATE TABLE visit (worker TEXT)"))

    state = threading.Condition()
    holding = []  # workers that have a connection and wait for `release`
    peak = 0
    release = threading.Event()
    waited = {}  # worker name -> True if it got its connection only after `release`

    def worker(name):
        nonlocal peak
        with engine.begin() as conn:
            with state:
                waited[name] = release.is_set()
                peak = max(peak, engine.pool.checkedout())
                holding.append(name)
                state.notify_all()
            release.wait()
            conn.execute(text("INSERT INTO visit (worker) VALUES (:name)"), {"name": name})

    names = [f"worker-{n}" for n in range(1, 6)]
    threads = [threading.Thread(target=worker, args=(name,)) for name in names]
    for thread in threads:
        thread.start()

    # Three workers hold the three connections; nobody can return one yet.
    wait_until(state, lambda: len(holding) == LIMIT)
    checked_out_at_full = engine.pool.checkedout()
    release.set()  # now the holders finish, and each returned connection goes to a waiter
    for thread in threads:
        thread.join()

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT worker FROM visit ORDER BY worker")).scalars().all()

    print("Part 1: five workers, pool_size=2, max_overflow=1")
    print(f"  checked out while three workers held a connection: {checked_out_at_full}")
    print(f"  peak of checked-out connections: {peak}")
    print(f"  peak <= pool_size + max_overflow: {peak <= LIMIT}")
    print(f"  workers that got a connection at once: {list(waited.values()).count(False)}")
    print(f"  workers that waited for a returned connection: {list(waited.values()).count(True)}")
    print(f"  transactions committed: {len(rows)} {rows}")
    print(f"  DBAPI connections opened: {len(opened)}")
    print(f"  status after all returned: {engine.pool.status()}")
    engine.dispose()


def part_2_timeout():
    engine = make_engine(pool_timeout=0.2)
    state = threading.Condition()
    outcomes = {}  # worker name -> "held a connection" or the error
    release = threading.Event()

    def worker(name):
        try:
            with engine.connect():
                with state:
                    outcomes[name] = "held a connection"
                    state.notify_all()
                release.wait()
        except exc.TimeoutError as error:
            message = str(error).split(" (Background")[0]
            with state:
                outcomes[name] = f"{type(error).__name__}: {message}"
                state.notify_all()

    names = [f"worker-{n}" for n in range(1, 5)]
    threads = [threading.Thread(target=worker, args=(name,)) for name in names]
    for thread in threads:
        thread.start()

    # The connections are released only after one worker has given up.
    wait_until(state, lambda: len(outcomes) == len(names))
    release.set()
    for thread in threads:
        thread.join()

    print("Part 2: four workers, pool_timeout=0.2, every connection held")
    for outcome in sorted(outcomes.values()):
        print(f"  {outcome}")
    print(f"  checked out after all returned: {engine.pool.checkedout()}")
    engine.dispose()


if __name__ == "__main__":
    part_1_waiting()
    part_2_timeout()

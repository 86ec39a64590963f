"""SQL storage specifics: SQLite setup, many processes, crashes, migrations, errors."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tuningfork._core.errors import StorageError, StudyExistsError
from tuningfork._core.records import Direction, TrialState
from tuningfork.space import Categorical, Float
from tuningfork.storage import open_storage
from tuningfork.storage.sql import SQLStorage, _engine
from tuningfork.storage.sql._schema import VERSION_TABLE, metadata

MIN = (Direction.MINIMIZE,)
TYPED = [None, True, 1, 1.0, "1", (2, 3), [1, 2], {"a": 1}, 0.1, 1e-300, 2**63 - 1]
SRC = str(Path(__file__).resolve().parents[2] / "src")


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "study.db"


@pytest.fixture
def storage(db: Path) -> Iterator[SQLStorage]:
    s = SQLStorage(_url(db))
    try:
        yield s
    finally:
        s.close()


def _run_python(code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


# -- SQLite setup ---------------------------------------------------------------------------


def test_wal_mode_and_schema_revision(storage: SQLStorage, db: Path) -> None:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT version_num FROM tuningfork_alembic_version").fetchall() == [
            (_engine.head_revision(),)
        ]
    conn.close()


def test_migrated_schema_matches_the_table_definitions(storage: SQLStorage, db: Path) -> None:
    engine = sa.create_engine(_url(db))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            diffs = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diffs == []


def test_open_existing_database_keeps_data(db: Path) -> None:
    with closing(SQLStorage(_url(db))) as first:
        first.create_study("s", MIN, 1)
        first.create_trial("s", state=TrialState.RUNNING)
    with closing(SQLStorage(_url(db))) as second:
        assert [t.number for t in second.get_all_trials("s")] == [0]


def test_empty_file_and_foreign_tables_are_upgraded(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        conn.execute("INSERT INTO notes (text) VALUES ('kept')")
    conn.close()
    for path in (empty, other):
        with closing(SQLStorage(_url(path))) as storage:
            storage.create_study("s", MIN, 1)
            assert [s.name for s in storage.list_studies()] == ["s"]
    with sqlite3.connect(other) as conn:
        assert conn.execute("SELECT text FROM notes").fetchall() == [("kept",)]
    conn.close()


def test_not_a_database_names_the_url(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not a SQLite database, just text\n" * 100)
    with pytest.raises(StorageError, match=r"cannot open.*file is not a database") as info:
        SQLStorage(_url(path))
    assert str(path) in str(info.value)


def test_missing_directory_names_the_url(tmp_path: Path) -> None:
    url = _url(tmp_path / "no" / "such" / "dir.db")
    with pytest.raises(StorageError, match="unable to open database file") as info:
        SQLStorage(url)
    assert url in str(info.value)


def test_unknown_revision_is_refused(db: Path) -> None:
    with closing(SQLStorage(_url(db))):
        pass
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE tuningfork_alembic_version SET version_num = '9999_from_the_future'")
    conn.close()
    with pytest.raises(StorageError, match=r"'9999_from_the_future'.*newer tuningfork") as info:
        SQLStorage(_url(db))
    assert str(db) in str(info.value)


def test_another_applications_alembic_history_is_left_alone(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('their_app_0042')")
    conn.close()
    with closing(SQLStorage(_url(db))) as storage:
        storage.create_study("s", MIN, 1)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT * FROM alembic_version").fetchall() == [("their_app_0042",)]
    conn.close()


def test_in_memory_sqlite_is_shared_across_threads() -> None:
    with closing(SQLStorage("sqlite://")) as storage:
        storage.create_study("s", MIN, 1)
        threads = [
            threading.Thread(
                target=lambda: [
                    storage.create_trial("s", state=TrialState.RUNNING) for _ in range(10)
                ]
            )
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [t.number for t in storage.get_all_trials("s")] == list(range(40))


# -- locking and retries ---------------------------------------------------------------------


def test_waits_for_a_held_write_lock(db: Path) -> None:
    with closing(SQLStorage(_url(db), busy_timeout=0.05, retries=20)) as storage:
        storage.create_study("s", MIN, 1)
        blocker = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN IMMEDIATE")
        timer = threading.Timer(0.4, blocker.rollback)
        timer.start()
        try:
            start = time.monotonic()
            trial = storage.create_trial("s", state=TrialState.RUNNING)
            assert time.monotonic() - start >= 0.3
            assert trial.number == 0
        finally:
            timer.join()
            blocker.close()


def test_lock_that_is_never_released_gives_a_clear_error(db: Path) -> None:
    with closing(SQLStorage(_url(db), busy_timeout=0.05, retries=2)) as storage:
        storage.create_study("s", MIN, 1)
        blocker = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StorageError, match=r"database is locked \(after 3 attempts\)"):
                storage.create_trial("s", state=TrialState.RUNNING)
        finally:
            blocker.rollback()
            blocker.close()
        assert storage.get_all_trials("s") == []
        assert storage.create_trial("s", state=TrialState.RUNNING).number == 0


# -- network filesystems ---------------------------------------------------------------------

MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
proc /proc proc rw 0 0
server:/export /mnt/data nfs4 rw,vers=4.2 0 0
/dev/sdb1 /mnt/data/local ext4 rw 0 0
//nas/share /mnt/my\\040share cifs rw 0 0
user@host:/home /home/me/remote fuse.sshfs rw 0 0
tmpfs /tmp tmpfs rw 0 0
"""


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/mnt/data/run/study.db", "nfs4"),
        ("/mnt/data", "nfs4"),
        ("/mnt/data/local/study.db", None),  # a local disk mounted inside the NFS tree
        ("/mnt/database/study.db", None),  # a sibling whose name starts the same
        ("/mnt/my share/x/study.db", "cifs"),
        ("/home/me/remote/a.db", "fuse.sshfs"),
        ("/home/me/a.db", None),
        ("/tmp/a.db", None),
        ("/", None),
    ],
)
def test_network_filesystem_detection(path: str, expected: str | None) -> None:
    assert _engine.network_filesystem(path, MOUNTS) == expected


def test_network_filesystem_detection_smb_and_nfs() -> None:
    mounts = "a / ext4 rw 0 0\nb /srv smb3 rw 0 0\nc /nfs nfs rw 0 0\n"
    assert _engine.network_filesystem("/srv/x.db", mounts) == "smb3"
    assert _engine.network_filesystem("/nfs/x.db", mounts) == "nfs"
    assert _engine.network_filesystem("/x.db", "") is None


def test_sqlite_on_network_filesystem_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = f"/dev/sda1 / ext4 rw 0 0\nserver:/x {tmp_path} nfs4 rw 0 0\n"
    monkeypatch.setattr(_engine, "read_mounts", lambda: fake)
    with pytest.raises(StorageError, match=r"network filesystem \(nfs4\).*use PostgreSQL"):
        SQLStorage(_url(tmp_path / "study.db"))
    assert not (tmp_path / "study.db").exists()


# -- URLs, pickling, PostgreSQL errors -------------------------------------------------------


def test_postgres_urls_use_psycopg3() -> None:
    assert _engine.normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert _engine.normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert _engine.normalize_url("postgresql+psycopg2://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert _engine.normalize_url("sqlite:///a.db") == "sqlite:///a.db"


def test_unreachable_postgres_names_the_masked_url() -> None:
    url = "postgresql://alice:s3cret@127.0.0.1:1/nowhere"
    with pytest.raises(StorageError, match=r"cannot open") as info:
        SQLStorage(url, busy_timeout=2)
    message = str(info.value)
    assert "postgresql://alice:***@127.0.0.1:1/nowhere" in message
    assert "s3cret" not in message


def test_pickle_reopens_by_url(storage: SQLStorage, db: Path) -> None:
    storage.create_study("s", MIN, 7)
    storage.create_trial("s", state=TrialState.RUNNING)
    copy = pickle.loads(pickle.dumps(storage))
    try:
        assert isinstance(copy, SQLStorage)
        assert copy is not storage
        assert copy.load_study("s").seed == 7
        copy.finish("s", 0, TrialState.COMPLETE, [1.5])
        assert storage.get_trial("s", 0).values == (1.5,)
    finally:
        copy.close()


def test_in_memory_sqlite_cannot_be_pickled() -> None:
    with closing(SQLStorage("sqlite://")) as storage, pytest.raises(TypeError, match="file"):
        pickle.dumps(storage)


def test_repr_masks_password_and_open_storage_builds_sql(db: Path) -> None:
    with closing(open_storage(_url(db), busy_timeout=5.0)) as storage:
        assert isinstance(storage, SQLStorage)
        assert repr(storage) == f"SQLStorage({_url(db)!r})"


# -- many processes --------------------------------------------------------------------------


def _create_and_finish(url: str, worker: int, n: int, barrier: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    storage = SQLStorage(url)  # every process opens the fresh file at the same moment
    try:
        with suppress(StudyExistsError):  # another process created it first
            storage.create_study("shared", MIN, 99)
        for i in range(n):
            trial = storage.create_trial(
                "shared", state=TrialState.RUNNING, user_attrs={"worker": worker}
            )
            storage.set_param("shared", trial.number, "i", Float(0.0, 1000.0), float(i))
            storage.report("shared", trial.number, 0, float(worker))
            storage.finish("shared", trial.number, TrialState.COMPLETE, [worker + i / 1000])
    finally:
        storage.close()


@pytest.mark.slow
def test_four_processes_share_one_sqlite_file(db: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    n_workers, per_worker = 4, 50
    barrier = ctx.Barrier(n_workers)
    procs = [
        ctx.Process(target=_create_and_finish, args=(_url(db), w, per_worker, barrier))
        for w in range(n_workers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=180)
    assert [p.exitcode for p in procs] == [0] * n_workers
    with closing(SQLStorage(_url(db))) as storage:
        trials = storage.get_all_trials("shared")
        assert [t.number for t in trials] == list(range(n_workers * per_worker))
        assert all(t.state is TrialState.COMPLETE for t in trials)
        for w in range(n_workers):
            mine = [t for t in trials if t.user_attrs["worker"] == w]
            assert [t.params["i"] for t in mine] == [float(i) for i in range(per_worker)]
            assert [t.values for t in mine] == [(w + i / 1000,) for i in range(per_worker)]
            assert all(dict(t.intermediate) == {0: float(w)} for t in mine)


@pytest.mark.slow
def test_values_written_by_one_process_read_by_another(storage: SQLStorage, db: Path) -> None:
    writer = f"""
        from tuningfork._core.records import Direction, TrialState
        from tuningfork.space import Categorical
        from tuningfork.storage.sql import SQLStorage
        choices = {TYPED!r}
        s = SQLStorage({_url(db)!r})
        s.create_study("x", [Direction.MAXIMIZE], 5, {{"t": (1, 2.0)}})
        for value in choices:
            t = s.create_trial("x", state=TrialState.RUNNING, user_attrs={{"v": value}})
            s.set_param("x", t.number, "c", Categorical(choices), value)
            s.report("x", t.number, 3, float("nan"))
            s.finish("x", t.number, TrialState.COMPLETE, [0.1])
        s.close()
    """
    result = _run_python(writer)
    assert result.returncode == 0, result.stderr
    study = storage.load_study("x")
    assert study.directions == (Direction.MAXIMIZE,)
    assert type(study.config["t"]) is tuple
    assert study.config["t"] == (1, 2.0)
    assert type(study.config["t"][1]) is float
    trials = storage.get_all_trials("x")
    assert len(trials) == len(TYPED)
    for trial, value in zip(trials, TYPED, strict=True):
        for got in (trial.params["c"], trial.user_attrs["v"]):
            assert type(got) is type(value)
            assert got == value
        assert trial.distributions["c"] == Categorical(TYPED)
        assert trial.values == (0.1,)
        assert list(trial.intermediate) == [3]
        assert trial.intermediate[3] != trial.intermediate[3]  # NaN survived


_LOOPING_WRITER = """
    import sys
    from tuningfork._core.records import TrialState
    from tuningfork.space import Float
    from tuningfork.storage.sql import SQLStorage
    s = SQLStorage(sys.argv[1])
    while True:
        t = s.create_trial("crash", state=TrialState.RUNNING, user_attrs={"n": 0})
        n = t.number
        s.set_param("crash", n, "x", Float(0.0, 1e9), n / 7)
        for step in range(3):
            s.report("crash", n, step, n + step / 10)
        s.set_trial_attr("crash", n, "n", n)
        s.finish("crash", n, TrialState.COMPLETE, [n * 0.1])
"""


@pytest.mark.slow
def test_sigkilled_writer_leaves_finished_trials_intact(db: Path) -> None:
    with closing(SQLStorage(_url(db))) as storage:
        storage.create_study("crash", MIN, 3)
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_LOOPING_WRITER), _url(db)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        with closing(SQLStorage(_url(db))) as watcher:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                _, trials = watcher.changes_since("crash", 0)
                if sum(t.state is TrialState.COMPLETE for t in trials) >= 40:
                    break
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.05)
            else:
                pytest.fail("the writer did not finish 40 trials in 60 s")
        proc.send_signal(signal.SIGKILL)  # mid-run: it never stops between transactions
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
    with closing(SQLStorage(_url(db))) as storage:
        trials = storage.get_all_trials("crash")
        assert [t.number for t in trials] == list(range(len(trials)))
        complete = [t for t in trials if t.state is TrialState.COMPLETE]
        assert len(complete) >= 40
        for t in complete:
            n = t.number
            assert t.values == (n * 0.1,)
            assert dict(t.params) == {"x": n / 7}
            assert dict(t.intermediate) == {s: n + s / 10 for s in range(3)}
            assert dict(t.user_attrs) == {"n": n}
            assert t.finished_at is not None
        others = [t for t in trials if t.state is not TrialState.COMPLETE]
        assert all(t.state is TrialState.RUNNING for t in others)
        assert len(others) <= 1  # only the trial being written when the writer died
        assert all(t.number == len(trials) - 1 for t in others)


def test_schema_json_columns_hold_plain_json(storage: SQLStorage, db: Path) -> None:
    storage.create_study("s", MIN, 1)
    storage.create_trial("s", state=TrialState.WAITING, params={"t": (1, 2)})
    with sqlite3.connect(db) as conn:
        (params,) = conn.execute("SELECT params FROM trials").fetchone()
    conn.close()
    assert json.loads(params) == {"t": {"__tuple__": [1, 2]}}

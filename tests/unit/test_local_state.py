"""Local table files survive a clean stop and are discarded after a crash."""

from __future__ import annotations

import pytest

from workers.local_state import MARKER_NAME, local_state_guard


def _tables(tmp_path):
    table_dir = tmp_path / "v1" / "tables"
    (table_dir / "transactions-0.db").mkdir(parents=True)
    (table_dir / "transactions-0.db" / "000008.sst").write_bytes(b"state")
    return table_dir


def test_state_is_kept_after_a_clean_stop(tmp_path):
    table_dir = _tables(tmp_path)
    with local_state_guard(table_dir, tmp_path) as clean:
        assert clean
        assert (tmp_path / MARKER_NAME).exists()
    assert not (tmp_path / MARKER_NAME).exists()
    with local_state_guard(table_dir, tmp_path) as clean:
        assert clean
        assert (table_dir / "transactions-0.db" / "000008.sst").exists()


def test_state_is_discarded_after_a_crash(tmp_path):
    table_dir = _tables(tmp_path)
    with pytest.raises(RuntimeError), local_state_guard(table_dir, tmp_path):
        raise RuntimeError("the worker died")
    assert (tmp_path / MARKER_NAME).exists()  # as after SIGKILL, which runs no cleanup at all
    with local_state_guard(table_dir, tmp_path) as clean:
        assert not clean
        assert not table_dir.exists()
    assert not (tmp_path / MARKER_NAME).exists()

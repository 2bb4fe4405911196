"""A command's console: tables written to a pipe or a file are not cut at 80 columns."""

from __future__ import annotations

import pytest

from thinfile.cli.options import PIPED_WIDTH, make_console


def test_a_piped_console_is_wide_so_a_table_read_from_a_file_is_whole(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    console = make_console()
    assert not console.is_terminal  # pytest captures the output
    assert console.width == PIPED_WIDTH


@pytest.mark.parametrize("columns", [100, 321])
def test_columns_set_by_the_user_win_over_the_pipe_width(monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    assert make_console().width == columns
    assert make_console(stderr=True).width == columns

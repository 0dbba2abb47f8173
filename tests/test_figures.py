"""`make figures` (python -m cnnbook.figures) writes every figure, reproducibly."""
from pathlib import Path

import pytest

from cnnbook import figures

ROOT = Path(__file__).resolve().parents[1]


def test_every_figure_is_written_twice_byte_for_byte_the_same(tmp_path):
    assert figures.main([str(tmp_path / "a")]) == 0
    assert figures.main([str(tmp_path / "b")]) == 0
    written = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert written == sorted(f"{n}.{e}" for n in figures.FIGURES for e in ("png", "svg"))
    for name in written:
        a, b = (tmp_path / d / name for d in ("a", "b"))
        assert a.read_bytes() == b.read_bytes(), f"{name} differs between two runs"
        assert a.stat().st_size > 1000


def test_svg_has_no_date():
    import io
    fig = figures.build("role_colours")
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    assert "<dc:date>" not in out.getvalue()


def test_committed_figures_match_the_list():
    committed = sorted(p.stem for p in (ROOT / "figures").glob("*.png"))
    assert committed == sorted(figures.FIGURES), "run `make figures` and commit figures/"


def test_unknown_figure_is_a_clear_error(capsys):
    with pytest.raises(ValueError, match="unknown figure 'nope'; figures are: role_colours"):
        figures.build("nope")
    with pytest.raises(SystemExit) as exit_info:
        figures.main(["--only", "nope"])
    assert exit_info.value.code == 2
    assert figures.main(["--list"]) == 0
    assert "conv_as_matrix" in capsys.readouterr().out


def test_an_unwritable_folder_is_one_line_and_exit_code_2(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert figures.main([str(blocker / "figs"), "--only", "role_colours"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write role_colours into" in err

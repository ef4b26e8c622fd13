"""A bad notebook parameter gets one line naming the parameter, the value and what it accepts."""

import pytest

from cyclegan_lab.teaching.parameters import ParameterError, check_parameter


@pytest.mark.parametrize(
    "rules, value, message",
    [
        (dict(whole=(1, 300)), "abc", "N must be a whole number from 1 to 300; got 'abc'"),
        (dict(whole=(1, 300)), 0, "N must be a whole number from 1 to 300; got 0"),
        (dict(whole=(1, None)), True, "N must be a whole number from 1 up; got True"),
        (dict(number=(1e-6, 1.0)), float("nan"), "N must be a number from 1e-06 to 1.0; got nan"),
        (dict(flag=True), "yes", "N must be True or False; got 'yes'"),
        (dict(choices=("monet", "checkpoint")), "Monet", "N must be one of 'monet', 'checkpoint'; got 'Monet'"),
        (dict(path=True, optional=True), 3, "N must be a folder or file name (a string) or None; got 3"),
    ],
)
def test_a_bad_value_is_named_with_what_is_accepted(rules, value, message):
    with pytest.raises(ParameterError) as error:
        check_parameter("N", value, **rules)
    assert str(error.value) == message
    assert error.value._render_traceback_() == [f"ParameterError: {message}"]  # what Jupyter shows: one line


@pytest.mark.parametrize(
    "rules, value",
    [
        (dict(whole=(1, 300)), 8),
        (dict(number=(0, 1)), 0.5),
        (dict(flag=True), False),
        (dict(path=True), "data"),
        (dict(path=True, optional=True), None),
        (dict(choices=("a", "b")), "b"),
    ],
)
def test_a_good_value_comes_back_unchanged(rules, value):
    assert check_parameter("N", value, **rules) == value


@pytest.mark.slow
@pytest.mark.parametrize("value", ["abc", "0"])
def test_papermill_with_a_bad_parameter_stops_with_one_line(real_data, tmp_path, value):
    """`papermill 07_visualization.ipynb out.ipynb -p N_PHOTOS abc` once ended in a TypeError deep inside."""
    import papermill
    from test_notebooks import ROOT

    parameters = {"N_PHOTOS": int(value) if value.isdigit() else value, "DATA_DIR": str(real_data), "SMOKE": True}
    with pytest.raises(papermill.PapermillExecutionError) as error:
        papermill.execute_notebook(
            str(ROOT / "notebooks" / "07_visualization.ipynb"),
            str(tmp_path / "out.ipynb"),
            parameters=parameters,
            cwd=str(ROOT / "notebooks"),
            progress_bar=False,
        )
    assert error.value.ename == "ParameterError"
    assert error.value.evalue == f"N_PHOTOS must be a whole number from 1 to 300; got {parameters['N_PHOTOS']!r}"


def test_held_out_photos_that_leave_too_few_for_the_measures_are_refused_up_front():
    """Notebook 10 with HELD_OUT_FROM 1499 and N_PHOTOS 2 passed the checks and stopped deep
    inside with "kid needs at least 2 images in each set"."""
    from cyclegan_lab.teaching.parameters import check_held_out

    files = [f"photo/{number:04d}.jpg" for number in range(1500)]
    with pytest.raises(ParameterError) as error:
        check_held_out(files, 1499, 2, where="photo")
    assert str(error.value) == (
        "HELD_OUT_FROM must leave at least 2 of the 1,500 photos in photo for the measures: "
        "a whole number up to 1498; got 1499, which leaves 1"
    )
    assert check_held_out(files, 1498, 2) == files[1498:]  # the largest that leaves enough
    assert check_held_out(files, 1200, 300) == files[1200:]  # fewer than asked, but enough
    assert check_held_out(files[:300], 1200, 8) == files[292:300]  # past the end: the last ones (the notebook says so)
    with pytest.raises(ParameterError, match=r"DATA_DIR must hold at least 2 photos; photo has 1$"):
        check_held_out(files[:1], 1200, 8, where="photo")


@pytest.mark.slow
def test_notebook_10_refuses_too_few_held_out_photos_in_its_parameter_cell(real_data, tmp_path):
    import papermill
    from test_notebooks import ROOT

    with pytest.raises(papermill.PapermillExecutionError) as error:
        papermill.execute_notebook(
            str(ROOT / "notebooks" / "10_judging_paintings.ipynb"),
            str(tmp_path / "out.ipynb"),
            parameters={"HELD_OUT_FROM": 1499, "N_PHOTOS": 2, "DATA_DIR": str(real_data)},
            cwd=str(ROOT / "notebooks"),
            progress_bar=False,
        )
    assert error.value.ename == "ParameterError"
    assert error.value.evalue.startswith("HELD_OUT_FROM must leave at least 2 of the 1,500 photos in ")
    assert "check_parameter(" in error.value.source, "stopped in the cell that checks the parameters"

"""cyclegan_lab.teaching.reference: the recorded epoch that notebook 6 compares a learner's run with, and a
file that is not such a record, named as one.
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_reference_epoch_is_one_default_epoch_of_notebook_6():
    """The recorded epoch that notebook 6 compares a learner's run with was made with the
    notebook's own defaults, one pass over the 300 Monets, and holds every step."""
    import papermill

    from cyclegan_lab.teaching.reference import load_reference_epoch

    defaults = {
        k: v["default"] for k, v in papermill.inspect_notebook(str(ROOT / "notebooks/06_training.ipynb")).items()
    }
    reference = load_reference_epoch()
    settings = reference["settings"]
    assert (settings["epochs"], settings["seed"], settings["augment"]) == (
        int(defaults["EPOCHS"]),
        int(defaults["SEED"]),
        defaults["AUGMENT"] == "True",
    )
    assert settings["steps"] == reference["data"]["monets"] == 300
    assert {len(values) for values in reference["losses"].values()} == {300}
    assert reference["verdicts"][0][0] == 0 and reference["verdicts"][-1][0] == 300


def test_a_file_that_is_not_a_run_record_is_named(tmp_path):
    from cyclegan_lab.teaching.reference import load_reference_epoch

    (tmp_path / "broken.json").write_text('{"settings": ')
    (tmp_path / "other.json").write_text('{"settings": {}, "losses": {}}')
    with pytest.raises(ValueError, match="broken.json is not a readable run record"):
        load_reference_epoch(tmp_path / "broken.json")
    with pytest.raises(
        ValueError, match="other.json is not a run record of notebook 6: it lacks data, verdicts, measures"
    ):
        load_reference_epoch(tmp_path / "other.json")

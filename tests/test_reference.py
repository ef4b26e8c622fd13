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


@pytest.mark.parametrize("lambda_cycle", [0, 100])
def test_the_recorded_runs_that_went_wrong_differ_from_the_reference_in_lambda_alone(lambda_cycle):
    """Notebook 6's diagnose exercise reads two real runs of the notebook: the reference epoch's
    settings, data and photos, with LAMBDA_CYCLE 0 or 100."""
    from cyclegan_lab.teaching.reference import REFERENCE_EPOCH, load_reference_epoch

    reference = load_reference_epoch()
    run = load_reference_epoch(REFERENCE_EPOCH.parent / f"lab_unet_lambda_{lambda_cycle}.json")
    assert run["settings"].pop("lambda_cycle") == lambda_cycle
    assert {k: v for k, v in run["settings"].items() if k != "step_mode"} == {
        k: v for k, v in reference["settings"].items() if k != "step_mode"
    }
    assert run["data"] == reference["data"]
    assert {len(values) for values in run["losses"].values()} == {300}
    assert run["losses"] != reference["losses"]
    assert {"previews_apart", "photos_apart"} <= set(run["measures"])
    assert [preview.shape for preview in run["previews"]] == [(128, 128, 3)] * 2


def test_previews_go_into_a_record_and_come_back_as_images(tmp_path):
    """A record keeps its run's last previews as small PNGs; a broken one is named, not shown as noise."""
    import json

    import numpy as np

    from cyclegan_lab.teaching.reference import REFERENCE_EPOCH, load_reference_epoch, preview_texts

    gradient = np.tile(np.linspace(0, 255, 256, dtype=np.uint8)[None, :, None], (256, 1, 3))
    record = json.loads(REFERENCE_EPOCH.read_text())
    record["previews"] = preview_texts([gradient, 255 - gradient])
    (tmp_path / "run.json").write_text(json.dumps(record))
    first, second = load_reference_epoch(tmp_path / "run.json")["previews"]
    assert first.shape == (128, 128, 3) and first.dtype == np.uint8
    assert first[:, 0].mean() < 10 < 245 < first[:, -1].mean()  # dark to light, as painted
    assert np.abs(first.astype(int) + second - 255).max() <= 2
    record["previews"] = ["not an image"]
    (tmp_path / "broken.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match="broken.json holds a preview that is not a base64 PNG"):
        load_reference_epoch(tmp_path / "broken.json")


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

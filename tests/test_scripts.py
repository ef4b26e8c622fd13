"""The long run's measuring scripts, run as a user runs them, on real images."""

import csv
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from cyclegan_lab.images import image_files, load_image
from cyclegan_lab.judging.distortions import blur

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_measure_run_puts_a_copier_at_zero_and_a_blurrer_below(real_data, tmp_path):
    """A run whose previews are the photos themselves closes 0% of the gap; blurred ones less than that."""
    photos = np.stack([load_image(f) for f in image_files(real_data / "photo")[1200:1230]])
    previews = tmp_path / "run" / "previews"
    previews.mkdir(parents=True)
    np.save(previews / "step-000250.npy", photos)
    np.save(previews / "step-000500.npy", blur(photos))
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "measure_run.py"), str(tmp_path / "run"), "--data", str(real_data)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = list(csv.DictReader(open(tmp_path / "run" / "held_out_kid.csv")))
    assert [row["step"] for row in rows] == ["250", "500"], done.stdout
    assert abs(float(rows[0]["gap_closed"])) < 1e-9
    assert float(rows[1]["gap_closed"]) < -0.5
    assert "gap closed +0%" in done.stdout


@pytest.mark.slow
def test_measure_run_with_the_output_notch_sees_a_chequerboard_removed(real_data, tmp_path):
    """Photos with a strong chequerboard show it in the chequerboard column; through the notch they have none
    and measure as the same photos without it do through the notch (within 3% of the gap)."""
    photos = np.stack([load_image(f) for f in image_files(real_data / "photo")[1200:1230]])
    photos = (40 + photos.astype(int) * 175 // 255).astype(np.uint8)  # in 40..215: room for the chequerboard
    rows, columns = np.indices(photos.shape[1:3])
    chequer = np.where((rows + columns) % 2, 40, -40)[None, :, :, None]
    previews = tmp_path / "run" / "previews"
    previews.mkdir(parents=True)
    np.save(previews / "step-000250.npy", (photos.astype(int) + chequer).astype(np.uint8))
    np.save(previews / "step-000500.npy", photos)
    script = str(ROOT / "scripts" / "measure_run.py")
    command = [sys.executable, script, str(tmp_path / "run"), "--data", str(real_data)]
    gaps, chequerboards = {}, {}
    for extra in [[], ["--output-notch"]]:
        subprocess.run(command + extra, capture_output=True, text=True, check=True)
        table = list(csv.DictReader(open(tmp_path / "run" / "held_out_kid.csv")))
        gaps[bool(extra)] = [float(row["gap_closed"]) for row in table]
        chequerboards[bool(extra)] = [float(row["chequerboard"]) for row in table]
    assert chequerboards[False][0] > 10 > 1 > chequerboards[False][1], chequerboards  # as the run painted it
    assert chequerboards[True][0] < 1.0, chequerboards  # the notch removes it (and the photos' own finest detail)
    assert abs(gaps[True][0] - gaps[True][1]) < 0.03, gaps  # through the notch: as the clean photos


def test_the_shipped_curve_takes_a_resumed_runs_last_measure_of_a_repeated_step(tmp_path):
    """A run resumed from its checkpoint repeats the steps after it and measures them again: the
    model card's curve shows each step once, with the measure of the weights that went on training."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from ship_pretrained import gap_by_step, plot_gap_curve
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    rows = ["step,copy,kid,gap_closed", "250,0.2,70.0,-0.30", "500,0.2,66.0,-0.20", "500,0.2,60.0,-0.05"]
    rows += ["750,0.2,58.0,0.02"]
    (tmp_path / "held_out.csv").write_text("\n".join(rows) + "\n")
    steps, gaps = gap_by_step(tmp_path / "held_out.csv")
    assert steps.tolist() == [250, 500, 750]
    np.testing.assert_allclose(gaps, [-0.30, -0.05, 0.02])
    axis = plot_gap_curve(tmp_path).axes[0]
    first = axis.get_lines()[0].get_label()
    assert first == "on EfficientNet-Lite0's features, as the run measured it"
    # A run resumed by a newer script: the second network's column from step 1000 on, drawn where it is.
    rows = [row + "," for row in rows]
    rows[0] += "gap_closed_lite2"
    rows += ["1000,0.2,50.0,0.30,-0.10"]
    (tmp_path / "held_out.csv").write_text("\n".join(rows) + "\n")
    steps, gaps = gap_by_step(tmp_path / "held_out.csv", "gap_closed_lite2")
    assert steps.tolist() == [1000] and gaps.tolist() == [-0.10]
    lines = plot_gap_curve(tmp_path).axes[0].get_lines()
    second = [line for line in lines if "Lite2" in line.get_label()]
    assert len(second) == 1 and second[0].get_ydata().tolist() == [-10.0]


def test_train_monet_exports_the_generator_pair_at_every_preview_and_a_run_warm_starts_from_it(tmp_path):
    """Checkpoints are rotated away; the generators exported at each preview step are not. Each export
    paints as the run's Monet generator (its moving average) painted at that step, and a new run
    warm-started from that folder (--warm-start FOLDER) begins with those two generators."""
    import keras
    import tensorflow as tf

    from cyclegan_lab.judging.monitor import monet_generator_of
    from cyclegan_lab.plumbing.files import FolderNotWritableError
    from cyclegan_lab.program.export import warm_start
    from cyclegan_lab.recipe.config import RecipeConfig
    from cyclegan_lab.recipe.pretrained import load_shipped
    from cyclegan_lab.training import build_cyclegan

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from train_monet import ExportGenerators
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    config = RecipeConfig(
        image_size=32, generator="resnet", generator_filters=4, residual_blocks=1, ema_decay=0.5, precision="float32"
    )
    run = build_cyclegan(config)
    rng = np.random.default_rng(0)
    images = lambda: rng.uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    batches = [(images(), images()) for _ in range(3)]
    dataset = tf.data.Dataset.from_tensor_slices(tuple(np.concatenate(b) for b in zip(*batches))).batch(1)
    painted = {}

    class Remember(keras.callbacks.Callback):  # what the run's Monet generator paints at each step
        def on_train_batch_end(self, batch, logs=None):
            painted[batch + 1] = np.asarray(monet_generator_of(self.model, config)(probe))

    probe = images()
    run.fit(dataset, epochs=1, verbose=0, callbacks=[ExportGenerators(config, tmp_path / "generators", 2), Remember()])

    assert sorted(p.name for p in (tmp_path / "generators").iterdir()) == ["step-000002"]
    folder = tmp_path / "generators" / "step-000002"
    assert sorted(p.name for p in folder.iterdir()) == [
        "monet.json",
        "monet.weights.h5",
        "photo.json",
        "photo.weights.h5",
    ]
    exported = np.asarray(load_shipped("monet", folder, precision="float32")(probe))
    np.testing.assert_allclose(exported, painted[2], atol=1e-5)
    assert np.abs(exported - painted[3]).max() > 1e-4  # the step it was exported at, not the last

    fresh = build_cyclegan(config.replace(seed=5))
    assert warm_start(fresh, folder) == ["monet_generator", "photo_generator"]
    np.testing.assert_allclose(np.asarray(fresh.monet_generator(probe)), exported, atol=1e-5)

    # ship_pretrained.py --step 2 ships that pair, with the losses of the newest checkpoint up to step 2
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from ship_pretrained import exported_pair
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    newest = types.SimpleNamespace(state={"history": {"steps": {"monet_gen_loss": [3.0, 2.0, 1.0]}}})
    monet, partner, state = exported_pair(folder, newest)
    np.testing.assert_allclose(np.asarray(monet(probe)), painted[2], atol=1e-5)
    np.testing.assert_allclose(np.asarray(partner(probe)), np.asarray(fresh.photo_generator(probe)), atol=1e-5)
    assert state["step"] == 2 and state["history"]["steps"] == {"monet_gen_loss": [3.0, 2.0]}
    with pytest.raises(FileNotFoundError, match=r"no generators at step 3 .*steps exported: 2$"):
        exported_pair(tmp_path / "generators" / "step-000003")

    precious = tmp_path / "precious"  # a link planted where the exports go: refused, what it points at untouched
    precious.mkdir()
    (tmp_path / "linked").symlink_to(precious)
    with pytest.raises(FolderNotWritableError, match="symbolic link"):
        run.fit(dataset, epochs=1, verbose=0, callbacks=[ExportGenerators(config, tmp_path / "linked", 2)])
    assert list(precious.iterdir()) == []


@pytest.mark.slow
def test_ship_pretrained_lets_the_judge_decide_and_an_untrained_generator_does_not_pass(real_data, finished_run):
    """ship_pretrained.py measures a run's generator beside the shipped one on unseen photos, prints the
    judge's gap (VGG19, held-out paintings) with its noise and the two diagnostics, and names the judge
    among what an untrained generator fails to beat."""
    _, folder = finished_run
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "ship_pretrained.py"), str(folder), "--data", str(real_data)]
        + ["--held-out-from", "1440", "--no-export"],
        capture_output=True,
        text=True,
        check=True,
    )
    header = next(line for line in done.stdout.splitlines() if line.startswith("| | "))
    assert {"judge", "judge_noise", "coarse_change", "edge_energy"} <= set(header.strip("| ").split(" | "))
    rows = {line.split(" | ")[0].strip("| "): line for line in done.stdout.splitlines() if line.startswith("| ")}
    judged = lambda name: float(rows[name].split(" | ")[header.strip("| ").split(" | ").index("judge") + 1])
    assert judged("photos themselves") == 0
    assert judged("shipped generator") > 0.5
    assert judged("new generator (step 6)") < judged("shipped generator")
    assert "does not beat the shipped one on: the judge, by more than twice its noise" in done.stdout
    assert "Nothing exported." in done.stdout


@pytest.mark.slow
def test_measure_run_shows_how_much_a_reference_the_run_trained_on_flatters_it(real_data, tmp_path):
    """--trained-reference judges each step against paintings the run never saw and against paintings it
    trained on, with one floor: the photos score 0 against both, and a run that hands back the very
    paintings it trained on looks closer to Monet against those than against unseen ones."""
    from cyclegan_lab.data import load_folder

    paintings = load_folder(real_data / "monet")
    learnt = paintings[180:240]  # the last 60 of the 240 a run trains on
    photos = np.stack([load_image(f) for f in image_files(real_data / "photo")[1200:1260]])
    previews = tmp_path / "run" / "previews"
    previews.mkdir(parents=True)
    np.save(previews / "step-000250.npy", photos)
    np.save(previews / "step-000500.npy", learnt)
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "measure_run.py"), str(tmp_path / "run"), "--data", str(real_data)]
        + ["--trained-reference"],
        capture_output=True,
        text=True,
        check=True,
    )
    copier, memoriser = csv.DictReader(open(tmp_path / "run" / "held_out_kid.csv"))
    assert abs(float(copier["gap_held_out"])) < 1e-9 and abs(float(copier["gap_trained"])) < 1e-9
    assert float(memoriser["flattery"]) > 0.1, memoriser
    assert float(memoriser["gap_trained"]) > 1, memoriser  # closer to them than other paintings come
    assert "flattered by" in done.stdout

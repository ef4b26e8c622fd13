"""The long run's measuring scripts, run as a user runs them, on real images."""

import csv
import subprocess
import sys
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

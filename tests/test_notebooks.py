"""Every notebook runs top to bottom through papermill in the smoke setting,
and its executed copy shows what a learner should see. The .py and .ipynb of
each pair hold the same cells."""

import json
import re
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# What each executed notebook must print (besides at least one figure).
EXPECTED_TEXT = {
    "01_theory": [
        "photo (256, 256, 3) uint8 -> painting (256, 256, 3) uint8",
        "lambda_cycle    = 10.0",
        "of the points come back opposite: cycle error 2 x",
        "Correct!",
    ],
    "02_data": [
        "stream resumed at step 7 == steps 7..11 of the original: True",
        "the augmented painting is a 256x256 cut of the plain one enlarged to 286: True",
        "Correct!",
    ],
    "03_generator": [
        "54,414,979",
        "batch norm while training vs instance norm, largest difference: 0.0000",
        "all: 6.05 GMAC",
        "the paper's generator (64 filters, 9 blocks): 11,383,427 parameters; the library's build_resnet_generator: "
        "11,383,427",
        "the same network: True",
        "layout of the stretched output vs the photo, correlation",
        "period-2 energy of the stretched output:",
        "channels that follow the photo's brightness at half size",
        "Correct!",
    ],
    "04_discriminator": [
        "2,765,569",
        "(1, 30, 30, 1)",
        "inside, a pixel of the patch's central half matters",
        "mean P(real) of the grey fake:",
        "the stand-in: 30x30 verdicts, measured field 70; the discriminator: receptive_field 70",
        "Correct!",
    ],
    "05_losses": [
        "log 2 = 0.69315",
        "slope of BCE(1, z) at z = 0: -0.500",
        "untrained: |x - F(G(x))| differs from |x| by at most 0.00",
        "blur: the 10% of pixels with the strongest edges carry",
        "Correct!",
    ],
    "06_training": [
        "1 steps recorded",
        "identical output: True",
        "Correct!",
        "compute_gradients vs lab_gradients, largest relative difference",
        "the same up to float32 rounding: True",
        "training: your LabCycleGan",
        "one step: yours ",
        "monet_disc_loss at the end",
        "step    1: D_Y's P(real) on real Monets",
        "(a plain grey picture: ",
        "composition similarity",
        "chequerboard ratio",
        "run B: copy distance",
        "the shipped generator on the same photos: copy distance",
        "reference: 300 steps",
        "monet_disc_loss  steps 1-1: yours",
        "measures after 300 reference steps: copy distance",
        "your last two photos are not the reference's (it had 1,500 photos, you 4)",
        "the reference epoch ",
    ],
    "07_visualization": [
        "Loaded the pretrained 'monet' generator",
        "2 photos, array (2, 256, 256, 3) uint8",
        "palette distance to the paintings",
        "copy distance of the paintings from their photos: ",
        "Correct!",
    ],
    "08_beyond_the_lab": [
        "weights: U-Net (8 filters) 458,707, ResNet (24 filters, 2 residual blocks) 443,763",
        "the ResNet is blind to the colour cast: True",
        "copy error on the unseen photos, with each photo's cast and contrast given back",
        "the transposed convolution's period-2 energy is",
        "largest difference inside the border",
        "the same up to float32 rounding: True",
        "its kernel: (3, 3, 3, 12) (4 x 3 outputs)",
        "Correct!",
    ],
    "09_training_recipe": [
        "cycle_blur=True: a +-0.1 chequerboard on the fake changes what the photo generator gets by up to 0.0000",
        "cycle_blur=False: a +-0.1 chequerboard on the fake changes what the photo generator gets by up to 0.1000",
        "the same Monets through the [1, 2, 1] blur close",
        "the notch leaves ",
        "the shipped generator's own settings differ from this recipe in: ",
        "gradient on the photos' logits: none without",
        "handing the photo back: copy 0.000, chequerboard 1.00",
        "projected: after 4 steps, an unseen painting beats an unseen photo in ",
        "Correct!",
    ],
    "10_judging_paintings": [
        "EfficientNet-Lite0: 4,694,024 weights",
        "photos are further from the paintings than paintings are: True",
        "blurred: KID says no closer to Monet than the photos: True",
        "of the gap closed",
        "copies of the training paintings are caught as memorised (d < 0.1): True",
        "finest octave (above 0.4 cycles per pixel) as a share of the photos': paintings ",
        "without their finest octave, photos are further from Monet: ",
        "finest octave given to the generator's paintings moves the gap closed by ",
        "KID x 1000: paintings without their finest octave ",
        "training_zoom 1.1172: a 256 photo is painted at 286",
        "of the gap, coarse change ",
        "check (a)",
        "check (b) skipped: HISTORY is False",
        "painting at the zoom it learnt is closer to Monet: ",
        "Correct!",
    ],
}


def outputs(notebook: dict) -> tuple[str, int]:
    """All text the notebook printed, and how many PNG figures it shows."""
    text, figures = [], 0
    for cell in notebook["cells"]:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                pytest.fail(f"cell raised {out['ename']}: {out['evalue']}")
            text.append("".join(out.get("text", "")))
            data = out.get("data", {})
            text.append("".join(data.get("text/plain", "")))
            text.append("".join(data.get("text/html", "")))
            text.append("".join(data.get("text/markdown", "")))
            figures += "image/png" in data
    return "\n".join(text), figures


@pytest.fixture(scope="module")
def checkpoint_dir(tmp_path_factory):
    """Where 06_training leaves its checkpoint for 07_visualization, as checkpoints/ does for a learner."""
    return tmp_path_factory.mktemp("checkpoints")


def run(path: Path, parameters: dict, folder: Path) -> tuple[str, int]:
    """Execute a notebook with papermill, passing the parameters it declares; return outputs()."""
    import papermill

    declared = papermill.inspect_notebook(str(path))
    executed = folder / path.name
    papermill.execute_notebook(
        str(path),
        str(executed),
        parameters={k: v for k, v in parameters.items() if k in declared},
        cwd=str(path.parent),
        kernel_name="python3",
        progress_bar=False,
    )
    return outputs(json.loads(executed.read_text()))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_with_papermill_in_the_smoke_setting(path, real_data, checkpoint_dir, tmp_path):
    record = tmp_path / "run.json"
    parameters = {"SMOKE": True, "DATA_DIR": str(real_data), "CHECKPOINT_DIR": str(checkpoint_dir)}
    calibration = real_data.parent.parent / "calibration" / "peer_paintings"  # notebook 10's check (a), where present
    if calibration.is_dir():
        parameters["CALIBRATION_DIR"] = str(calibration)
    text, figures = run(path, {**parameters, "RECORD_RUN": str(record)}, tmp_path)
    assert figures >= 1, "every notebook shows at least one figure"
    for expected in EXPECTED_TEXT.get(path.stem, []):
        assert expected in text, f"{path.name} should print {expected!r}"
    if path.stem == "07_visualization":  # it finds, by content, the photos the shipped model never saw
        from cyclegan_lab.images import fingerprint, image_files, load_image
        from cyclegan_lab.recipe.pretrained import PACKAGE_FOLDER

        trained_on = set(json.loads((PACKAGE_FOLDER / "monet.json").read_text())["trained_on_photos"])
        files = image_files(real_data / "photo")
        unseen = sum(fingerprint(load_image(f)) not in trained_on for f in files)
        assert 0 < unseen < len(files)
        assert f"Of the {len(files):,} photos in" in text and f", {unseen:,} were never seen" in text
    if path.stem == "06_training":  # RECORD_RUN writes the run as the shipped records of runs were written
        from cyclegan_lab.teaching.reference import REFERENCE_EPOCH, load_reference_epoch

        mine, reference = (
            load_reference_epoch(record),
            load_reference_epoch(REFERENCE_EPOCH.parent / "lab_unet_lambda_0.json"),
        )
        assert {k: sorted(v) for k, v in mine.items() if isinstance(v, dict)} == {
            k: sorted(v) for k, v in reference.items() if isinstance(v, dict)
        }
        assert mine["settings"]["steps"] == 1 and all(len(v) == 1 for v in mine["losses"].values())
        assert mine["data"]["photos"] == 4 and len(mine["data"]["measured_photos"]) == 2
        assert [row[0] for row in mine["verdicts"]] == [0, 1]
        assert [preview.shape for preview in mine["previews"]] == [(128, 128, 3)] * 2
    if path.stem == "02_data":  # it counts the files it found, as a learner's own listing would
        for domain in ("monet", "photo"):
            count = sum(1 for p in (real_data / domain).iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
            assert f"({count:,} files)" in text, f"02_data should count {count:,} files in {domain}/"
    # The solutions run too, so every check cell must find its exercise answered, and right.
    assert "Not quite" not in text and "Not answered yet" not in text, f"{path.name}: a solution fails its check"


@pytest.mark.slow
def test_visualization_shows_the_generator_notebook_6_trained(real_data, checkpoint_dir, tmp_path):
    parameters = {"SMOKE": True, "DATA_DIR": str(real_data), "CHECKPOINT_DIR": str(checkpoint_dir)}
    if not any(checkpoint_dir.iterdir()):  # run on its own: train first, as a learner would
        run(ROOT / "notebooks" / "06_training.ipynb", parameters, tmp_path)
    text, _ = run(ROOT / "notebooks" / "07_visualization.ipynb", {**parameters, "MODEL": "checkpoint"}, tmp_path)
    assert "Loaded the Monet generator from" in text


@pytest.mark.slow
def test_losses_training_and_visualization_run_with_bfloat16_forced(real_data, tmp_path, monkeypatch):
    """CYCLEGAN_LAB_PRECISION=bfloat16 takes the bfloat16 path even on a CPU without it (emulated):
    notebook 5 keeps its float32 numbers, notebook 6 trains in bfloat16 and says why, and notebook 7
    paints with that checkpoint. The kernels papermill starts inherit the variable."""
    monkeypatch.setenv("CYCLEGAN_LAB_PRECISION", "bfloat16")
    parameters = {"SMOKE": True, "DATA_DIR": str(real_data), "CHECKPOINT_DIR": str(tmp_path / "checkpoints")}
    text, _ = run(ROOT / "notebooks" / "05_losses.ipynb", parameters, tmp_path)
    assert all(expected in text for expected in EXPECTED_TEXT["05_losses"])
    text, _ = run(ROOT / "notebooks" / "06_training.ipynb", parameters, tmp_path)
    assert "bfloat16 (set by CYCLEGAN_LAB_PRECISION)" in text
    assert all(expected in text for expected in EXPECTED_TEXT["06_training"])
    text, _ = run(ROOT / "notebooks" / "07_visualization.ipynb", {**parameters, "MODEL": "checkpoint"}, tmp_path)
    assert "Loaded the Monet generator from" in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_pair_is_in_sync_and_stripped(path):
    source = path.with_suffix(".py")
    assert source.exists(), f"{path.name} has no paired {source.name}"
    cells = lambda nb: [(c.cell_type, c.source.strip()) for c in nb.cells]
    assert cells(jupytext.read(source)) == cells(jupytext.read(path)), f"run: jupytext --sync {source}"
    raw = json.loads(path.read_text())
    assert all(not cell.get("outputs") for cell in raw["cells"]), f"{path.name} is committed with outputs"
    tagged = [c for c in raw["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name} needs exactly one cell tagged 'parameters'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_understands_every_parameter(path):
    """A parameter papermill cannot parse is injected with a warning and is easy to get wrong."""
    import re

    import papermill

    cell = next(c for c in json.loads(path.read_text())["cells"] if "parameters" in c["metadata"].get("tags", []))
    assigned = re.findall(r"^(\w+) = ", "".join(cell["source"]), flags=re.M)
    assert {"DATA_DIR", "SMOKE"} <= set(assigned)
    assert list(papermill.inspect_notebook(str(path))) == assigned


def test_student_edition_has_no_solutions_and_its_checks_still_run(tmp_path):
    """`make student` drops solution cells and <details> solution blocks, and takes the figures along
    (that every student notebook still runs is the test below)."""
    import subprocess
    import sys

    sources = [ROOT / "notebooks" / "01_theory.ipynb", ROOT / "notebooks" / "02_data.ipynb"]
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "student_edition.py"), *map(str, sources), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for source in sources:  # 01 has solution cells, 02 also a <details> solution block
        original = json.loads(source.read_text())
        edited = json.loads((tmp_path / "notebooks" / source.name).read_text())
        solutions = [c for c in original["cells"] if "solution" in c["metadata"].get("tags", [])]
        assert solutions, f"{source.name} has solution cells to remove"
        assert len(edited["cells"]) == len(original["cells"]) - len(solutions)
        assert not any("solution" in c["metadata"].get("tags", []) for c in edited["cells"])
        assert not any("<summary>Solution" in "".join(c["source"]) for c in edited["cells"])
    assert any("<summary>Solution" in "".join(c["source"]) for c in json.loads(sources[1].read_text())["cells"])
    assert (tmp_path / "images" / "cycle_consistency.png").exists(), "the figures travel with the notebooks"


@pytest.fixture(scope="module")
def student_edition(tmp_path_factory):
    """The student edition of every notebook (`make student`), built once."""
    import subprocess
    import sys

    folder = tmp_path_factory.mktemp("student")
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "student_edition.py"), *map(str, NOTEBOOKS), "--out", str(folder)],
        check=True,
        capture_output=True,
    )
    return folder


# What a check cell measures, which the solutions' run prints and an unanswered one must not.
REVEALED = {
    "01_theory": ["shuffle: distance from Y"],
    "04_discriminator": ["grid: (1, 14, 14, 1)"],
    "05_losses": ["discriminator loss 0.3478", "cycle loss of the grey round trip"],
    "06_training": ["calls per network in one step", "run B had LAMBDA_CYCLE"],
}


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_student_notebook_runs_with_its_exercises_unanswered(path, student_edition, real_data, tmp_path):
    """Without solutions each notebook still runs top to bottom: its check cells say "Not answered yet",
    never "Correct!" and never an error (a learner's None is an answer, not a crash)."""
    parameters = {"SMOKE": True, "DATA_DIR": str(real_data)}
    if "CHECKPOINT_DIR = " in path.with_suffix(".py").read_text():
        parameters["CHECKPOINT_DIR"] = str(tmp_path / "checkpoints")
    text, _ = run(student_edition / "notebooks" / path.name, parameters, tmp_path)
    assert "Not answered yet" in text  # every notebook has check cells
    assert "Correct!" not in text and "Not quite" not in text
    for value in REVEALED.get(path.stem, []):  # a measured answer is shown only after a prediction
        assert value not in text, f"{path.name} shows {value!r} before the learner answers"


KINDS = {"implement", "predict", "diagnose"}


def test_every_exercise_of_the_lab_is_tagged_with_its_kind():
    """Instructors count the exercises by their tags: each answer cell of notebooks 01-07 (a name set to None
    for the learner to replace) is tagged `exercise` and exactly one kind; at least 9 ask for code."""
    import jupytext

    kinds = []
    for path in sorted((ROOT / "notebooks").glob("0[1-7]_*.py")):
        for cell in jupytext.read(path).cells:
            tags = set(cell.metadata.get("tags", []))
            answer = re.match(r"\w+ = None  #", cell.source) and "parameters" not in tags
            if answer or "exercise" in tags:
                assert "exercise" in tags and len(tags & KINDS) == 1, f"{path.name}: {cell.source[:60]!r} {tags}"
                kinds += list(tags & KINDS)
    assert kinds.count("implement") >= 9 and {"predict", "diagnose"} <= set(kinds)


def prose_words(path: Path) -> int:
    """Words of a notebook's markdown cells (numbers and code names count as words)."""
    cells = jupytext.read(path).cells
    return sum(len(re.findall(r"[A-Za-z0-9][\w'’.,-]*", c.source)) for c in cells if c.cell_type == "markdown")


def test_the_lab_is_short_and_each_notebook_says_how_long_it_takes():
    """Notebooks 01-07 hold at most 8,000 words of prose, and each one's header gives its time as
    reading at 200 words a minute plus its cells' run time in the full setting."""
    lab = sorted((ROOT / "notebooks").glob("0[1-7]_*.py"))
    words = {path.stem: prose_words(path) for path in lab}
    assert sum(words.values()) <= 8000, words
    for path in lab:
        said = re.search(r"About (\d+) minutes: (\d+) of reading and (\d+) of running", path.read_text())
        assert said, f"{path.name} does not say how long it takes"
        total, reading, running = map(int, said.groups())
        assert reading == max(1, round(words[path.stem] / 200)), f"{path.name}: {words[path.stem]} words"
        assert total == reading + running, path.name

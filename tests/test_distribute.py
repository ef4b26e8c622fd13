"""Training with tf.distribute: several replicas compute what one device computes.

Splitting the CPU into two logical devices must happen before TensorFlow
starts, and a cluster needs one process per machine, so these tests train in
fresh Python processes, with a tiny model (32x32 images, 4 generator filters).
The checks then run here, in a process with one device: checkpoints written
by distributed runs must load into single-device models.
"""

import json
import os
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
from PIL import Image

from cyclegan_lab import checkpoints
from cyclegan_lab.config import TrainConfig
from cyclegan_lab.cyclegan import LOSS_NAMES
from cyclegan_lab.models import build_generator
from cyclegan_lab.plumbing import distribute, folder_lock
from cyclegan_lab.program import checkpoint_reading, cli
from cyclegan_lab.training import build_cyclegan

TINY = dict(image_size=32, generator_filters=4, precision="float32")
TIMEOUT = 400  # seconds per process: generous, the machine may be busy

# 2 steps on 2 logical CPUs (2 replicas x batch 1), then the same on one device with batch 2.
MIRRORED_SCRIPT = """
import json, sys
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras
import numpy as np
from cyclegan_lab import checkpoints
from cyclegan_lab.config import TrainConfig
from cyclegan_lab.cyclegan import NETWORKS
from cyclegan_lab.data import DataFolders, LabData
from cyclegan_lab.plumbing.distribute import make_strategy, replica_share
from cyclegan_lab.recipe.config import RecipeConfig
from cyclegan_lab.program.runs import train
from cyclegan_lab.training import build_cyclegan


class NoDropout(keras.callbacks.Callback):
    # Replicas draw other dropout masks than one device does; without dropout the maths is the same.
    def on_train_begin(self, logs=None):
        for name in NETWORKS:
            for layer in getattr(self.model, name)._flatten_layers():
                if isinstance(layer, keras.layers.Dropout):
                    layer.rate = 0.0


folder = sys.argv[1]
rng = np.random.default_rng(0)
data = LabData(rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8),
               rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8), DataFolders(None, None))
config = TrainConfig(**json.loads(sys.argv[2]), steps_per_epoch=2)
strategy = make_strategy("mirrored")
shares = [float(x) for x in strategy.experimental_local_results(strategy.run(lambda: replica_share(tf.constant(6.0))))]
mirrored, mirrored_history = train(config, data, folder + "/mirrored", [NoDropout()], verbose=0, strategy=strategy)
single, single_history = train(config.replace(batch_size=2), data, folder + "/single", [NoDropout()], verbose=0)

# Restoring into a distributed model sets every replica's copy.
checkpoints.restore_checkpoint(mirrored, checkpoints.latest_checkpoint(folder + "/single"))
copies = [strategy.experimental_local_results(v.value) for v in mirrored.monet_generator.variables]
expected = [keras.ops.convert_to_numpy(v) for v in single.monet_generator.variables]
restore_error = max(float(np.abs(c.numpy() - e).max()) for cs, e in zip(copies, expected) for c in cs)
try:
    build_cyclegan(RecipeConfig(**{**config.to_dict(), "pool_size": 2}), strategy=strategy)
    pool_error = None
except ValueError as error:
    pool_error = str(error)
print(json.dumps({"replicas": strategy.num_replicas_in_sync, "copies": len(copies[0]), "restore_error": restore_error,
                  "pool_error": pool_error, "shares": shares,
                  "one_device_share": float(replica_share(tf.constant(6.0))),
                  "mirrored": mirrored_history.steps, "single": single_history.steps}))
"""


def run_python(args, timeout=TIMEOUT, **kwargs):
    """Run `python args...` in a fresh process; fail with its output if it fails."""
    result = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, **kwargs)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def relative_difference(a, b) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


@pytest.mark.slow
def test_two_replicas_train_like_one_device_with_the_same_global_batch(tmp_path):
    """2 replicas x batch 1 = 1 device x batch 2: same losses, weights and Adam moments.

    Adam's update barely changes when all gradients are scaled alike, but its
    first moment is proportional to the gradient: equal moments show that the
    replicas' gradients were reduced to the global batch's mean, not its sum.
    """
    script = tmp_path / "mirrored.py"
    script.write_text(MIRRORED_SCRIPT)
    result = run_python([str(script), str(tmp_path), json.dumps(TINY)])
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2 and report["copies"] == 2
    assert report["shares"] == [3.0, 3.0] and report["one_device_share"] == 6.0  # each replica's share of a loss
    assert "MirroredStrategy, 2 replicas; global batch 2 = batch_size 1 per replica x 2 replicas" in result.stdout
    for name in LOSS_NAMES:
        assert len(report["mirrored"][name]) == 2
        np.testing.assert_allclose(report["mirrored"][name], report["single"][name], rtol=1e-5, err_msg=name)

    mirrored = checkpoints.latest_checkpoint(tmp_path / "mirrored")
    single = checkpoints.latest_checkpoint(tmp_path / "single")
    with np.load(mirrored) as got, np.load(single) as expected:
        assert got.files == expected.files
        differences = {key: relative_difference(got[key], expected[key]) for key in got.files if key != "state"}
    worst = max(differences, key=differences.get)
    # Summing in another order leaves ~1e-4 of the largest value in tiny arrays (biases after 2 Adam
    # steps); gradients reduced to the sum instead of the mean would double Adam's first moments (1.0).
    assert differences[worst] < 1e-2, f"{worst} differs by {differences[worst]:.2g} of its largest value"
    assert report["restore_error"] == 0.0
    assert report["pool_error"].startswith("pool_size needs a single replica")

    # The distributed run's checkpoint loads into a model on one device.
    cyclegan = build_cyclegan(TrainConfig(**TINY))
    state = checkpoints.restore_checkpoint(cyclegan, mirrored)
    assert state["step"] == 2 and state["replicas"] == 2
    assert int(cyclegan.monet_generator_optimizer.iterations) == 2


@pytest.fixture
def image_folder(tmp_path):
    """4 random 32x32 Monet paintings and photos as PNG files."""
    rng = np.random.default_rng(1)
    for domain in ("monet", "photo"):
        (tmp_path / "data" / domain).mkdir(parents=True)
        for i in range(4):
            image = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
            Image.fromarray(image).save(tmp_path / "data" / domain / f"{i}.png")
    return tmp_path / "data"


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def wait_all(processes, timeout: float) -> list:
    """The exit codes, once all have exited or one has failed (the others would wait for it forever)."""
    deadline = time.monotonic() + timeout
    codes = [process.poll() for process in processes]
    while time.monotonic() < deadline and None in codes and not any(codes):
        time.sleep(0.5)
        codes = [process.poll() for process in processes]
    return codes


@pytest.mark.slow
def test_a_two_worker_cluster_trains_and_only_the_chief_writes_the_checkpoint(image_folder, tmp_path):
    """Two local processes, one per "machine", train one step of the CLI together over 127.0.0.1."""
    folder = tmp_path / "checkpoints"
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    command = [
        sys.executable,
        "-m",
        "cyclegan_lab.program.cli",
        "train",
        "--strategy",
        "multiworker",
        "--data",
        str(image_folder),
        "--checkpoint-dir",
        str(folder),
        "--image-size",
        "32",
        "--generator-filters",
        "4",
        "--precision",
        "float32",
        "--steps-per-epoch",
        "1",
    ]
    processes, logs = [], []
    try:
        for index in range(2):
            tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
            logs.append(open(tmp_path / f"worker-{index}.log", "w+"))
            env = dict(os.environ, TF_CONFIG=json.dumps(tf_config))
            processes.append(subprocess.Popen(command, env=env, stdout=logs[-1], stderr=subprocess.STDOUT, text=True))
        codes = wait_all(processes, TIMEOUT)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()  # SIGKILL: a worker waiting for its cluster may not stop on SIGTERM
                process.wait()
        outputs = []
        for log in logs:
            log.seek(0)
            outputs.append(log.read())
            log.close()
    assert codes == [0, 0], "\n\n".join(output[-3000:] for output in outputs)
    for output in outputs:
        assert "MultiWorkerMirroredStrategy over 2 machines, 2 replicas" in output
    assert "not the chief" in outputs[1] and "not the chief" not in outputs[0]
    assert [p.name for p in folder.iterdir() if p.name != folder_lock.FLOCK_NAME] == ["step-000001.npz"]

    path = folder / "step-000001.npz"
    cyclegan = build_cyclegan(TrainConfig(**TINY))
    state = checkpoints.restore_checkpoint(cyclegan, path)
    assert state["step"] == 1 and state["replicas"] == 2
    assert all(np.isfinite(state["history"]["steps"][name]).all() for name in LOSS_NAMES)
    generator = checkpoint_reading.load_network(build_generator(image_size=32, filters=4), path)
    photos = np.linspace(-1, 1, 32 * 32 * 3, dtype="float32").reshape(1, 32, 32, 3)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(generator(photos)), keras.ops.convert_to_numpy(cyclegan.monet_generator(photos))
    )


def test_make_strategy_names_what_it_knows(monkeypatch):
    with pytest.raises(ValueError, match="strategy must be one of default, mirrored, tpu, multiworker"):
        distribute.make_strategy("gpu")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="multiworker needs TF_CONFIG"):
        distribute.make_strategy("multiworker")
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {}}')
    with pytest.raises(ValueError, match="TF_CONFIG must be JSON with 'cluster' and 'task'"):
        distribute.make_strategy("multiworker")
    default = distribute.make_strategy("default")
    assert distribute.is_chief(default) and distribute.replicas(default) == 1 and distribute.workers(default) == 1


@pytest.mark.parametrize(
    "task_type, task_id, chief",
    [
        ("worker", 0, True),
        ("worker", 1, False),
        (None, None, True),
    ],
)
def test_worker_0_is_the_chief_of_a_cluster_without_one(task_type, task_id, chief):
    assert distribute.chief_task(task_type, task_id, {"worker": ["a:1", "b:1"]}) is chief


@pytest.mark.parametrize("task_type, task_id, chief", [("chief", 0, True), ("worker", 0, False), ("worker", 1, False)])
def test_a_cluster_with_a_chief_task_has_only_that_chief(task_type, task_id, chief):
    assert distribute.chief_task(task_type, task_id, {"chief": ["a:1"], "worker": ["b:1", "c:1"]}) is chief


@pytest.mark.slow
def test_tpu_without_a_tpu_is_one_clear_error(image_folder, tmp_path):
    command = [
        "-m",
        "cyclegan_lab.program.cli",
        "train",
        "--strategy",
        "tpu",
        "--data",
        str(image_folder),
        "--checkpoint-dir",
        str(tmp_path / "checkpoints"),
        "--image-size",
        "32",
    ]
    result = subprocess.run(
        [sys.executable, *command], capture_output=True, text=True, timeout=TIMEOUT, env=dict(os.environ, TPU_NAME="")
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cyclegan-lab: error: No TPU found" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "checkpoints").exists()


def test_an_unknown_strategy_is_refused_by_the_command_line(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["train", "--strategy", "gpu"])
    assert stop.value.code == 2
    assert "invalid choice: 'gpu'" in capsys.readouterr().err

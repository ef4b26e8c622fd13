"""Train on several GPUs, a TPU or several machines with `tf.distribute`.

A *replica* is one copy of the model on one device (a GPU, a TPU core, or a
CPU). With a strategy of n replicas, every training step goes like this:

1. The *global batch* is cut into n equal *per-replica* batches, one per
   replica. In this project `TrainConfig.batch_size` is the per-replica batch:
   `--batch-size 1` on 8 GPUs trains on a global batch of 8 images per domain.
2. Each replica runs the forward and backward pass on its own batch, with its
   own copy of the weights (all copies are equal), and computes the mean loss
   over its local batch and that mean's gradients.
3. The gradients are *all-reduced*: summed over all replicas, and every
   replica receives the sum. `CycleGAN.compute_gradients` divides each loss
   by n before differentiating, so the sum of the n gradients is the gradient
   of the mean over the global batch: what one device with the whole global
   batch would compute.
4. Every replica applies the same update to its copy, so the copies stay equal.

The strategies `make_strategy` knows:

* "default": no distribution, one device (what TensorFlow does anyway).
* "mirrored": one machine, one replica per GPU (or per logical CPU device).
* "tpu": the 8 (or more) cores of a TPU, e.g. on a Cloud TPU VM.
* "multiworker": several machines, each with its GPUs; every machine runs the
  same command and learns its place in the cluster from `TF_CONFIG`.

Only one machine of a cluster, the *chief*, writes checkpoints (`is_chief`).

TensorFlow is imported by each function, not with this module, so that the
command line and `config` can read `STRATEGIES` without loading it.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

__all__ = [
    "STRATEGIES",
    "make_strategy",
    "is_chief",
    "chief_task",
    "workers",
    "replicas",
    "describe",
    "replica_share",
    "global_means",
]

if TYPE_CHECKING:
    import tensorflow as tf

# The strategies make_strategy knows, which the command line offers (`config` names them too).
STRATEGIES = ("default", "mirrored", "tpu", "multiworker")


def make_strategy(name: str = "default") -> tf.distribute.Strategy:
    """The `tf.distribute.Strategy` called `name`: one of "default", "mirrored", "tpu", "multiworker".

    "mirrored" uses every GPU, or without GPUs every logical CPU device (one
    unless split with `tf.config.set_logical_device_configuration`). "tpu"
    connects to the TPU named in $TPU_NAME, else the one on this machine (a
    TPU VM). "multiworker" needs $TF_CONFIG (see the README, "Scaling up").
    """
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([device.name for device in devices])
    if name == "tpu":
        return _tpu_strategy()
    if name == "multiworker":
        _check_tf_config()
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}; got {name!r}")


def _tpu_strategy() -> tf.distribute.TPUStrategy:
    import tensorflow as tf

    address = os.environ.get("TPU_NAME") or "local"
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=address)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, tf.errors.OpError) as error:
        reason = str(error).splitlines()[0][:200]
        raise ValueError(
            f"No TPU found at {address!r} ({reason}). --strategy tpu needs a TPU: run on a Cloud "
            "TPU VM, or set TPU_NAME to your TPU's name or grpc:// address."
        ) from error
    return tf.distribute.TPUStrategy(resolver)


def _check_tf_config() -> None:
    text = os.environ.get("TF_CONFIG")
    if not text:
        raise ValueError(
            "strategy multiworker needs TF_CONFIG, the JSON that names every machine of the "
            'cluster and this one\'s place in it, e.g. {"cluster": {"worker": ["host1:12345", '
            '"host2:12345"]}, "task": {"type": "worker", "index": 0}}'
        )
    try:
        cluster = json.loads(text)
        cluster["cluster"], cluster["task"]["type"], cluster["task"]["index"]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"TF_CONFIG must be JSON with 'cluster' and 'task' (type, index); got {text!r}") from error


def is_chief(strategy: tf.distribute.Strategy | None = None) -> bool:
    """True on the machine that writes checkpoints and summaries.

    Single-machine strategies have one process, which is the chief. In a
    multi-worker cluster it is the task of type "chief", or worker 0 when the
    cluster has no chief.
    """
    import tensorflow as tf

    strategy = strategy or tf.distribute.get_strategy()
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    resolver = strategy.cluster_resolver
    return chief_task(resolver.task_type, resolver.task_id, resolver.cluster_spec().as_dict())


def chief_task(task_type: str | None, task_id: int | None, cluster: dict) -> bool:
    """Whether the task (`TF_CONFIG`'s "task") is the chief of `cluster` (its "cluster")."""
    if task_type is None:  # no TF_CONFIG: a cluster of one
        return True
    if "chief" in cluster:
        return task_type == "chief"
    return task_type == "worker" and task_id == 0


def workers(strategy: tf.distribute.Strategy | None = None) -> int:
    """How many machines train together: the chief and workers of TF_CONFIG's cluster, else 1."""
    import tensorflow as tf

    strategy = strategy or tf.distribute.get_strategy()
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return 1
    cluster = strategy.cluster_resolver.cluster_spec().as_dict()
    return max(1, len(cluster.get("chief", [])) + len(cluster.get("worker", [])))


def replicas(strategy: tf.distribute.Strategy | None = None) -> int:
    """How many replicas train together (all devices of all machines)."""
    import tensorflow as tf

    return (strategy or tf.distribute.get_strategy()).num_replicas_in_sync


def describe(strategy: tf.distribute.Strategy | None = None) -> str:
    """One line naming the strategy and its replicas, e.g. "MirroredStrategy, 2 replicas"."""
    import tensorflow as tf

    strategy = strategy or tf.distribute.get_strategy()
    n = replicas(strategy)
    name = type(strategy).__name__
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):  # its class is called CollectiveAllReduce...
        name = f"MultiWorkerMirroredStrategy over {workers(strategy)} machines"
    elif name == "_DefaultDistributionStrategy":
        name = "one device"
    return f"{name}, {n} replica{'s' * (n != 1)}"


def replica_share(loss):
    """`loss` divided by the number of replicas (on one device: `loss` itself).

    Under a strategy of n replicas each replica computes the gradients of its
    share of the global batch, and Keras' optimiser then sums the n replicas'
    gradients (an all-reduce with SUM, as Keras' own losses expect). Dividing
    each replica's loss by n makes that sum the gradient of the mean over the
    global batch, as on one device with the whole batch.
    """
    import tensorflow as tf

    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss / replicas if replicas > 1 else loss


def global_means(computed: dict) -> dict:
    """Average each replica's losses over all replicas: the means over the global batch.

    Every replica holds the same number of images, so the mean of the
    replicas' local means is the global mean. After this every replica holds
    the same values, so whatever `fit()` does with them (the mean over
    replicas, or replica 0's on a TPU) it reports the global means.
    """
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return computed
    means = context.all_reduce(tf.distribute.ReduceOp.MEAN, computed)
    if workers() > 1:
        # Keras 3 averages a cluster's step results with strategy.reduce("MEAN", value, axis=0), which
        # fails on a number without an axis: give each loss an axis of length 1 (Keras reduces it away).
        means = {name: value[None] for name, value in means.items()}
    return means

"""Adam, with each weight's update computed in one pass over memory.

Keras' Adam writes its update as a dozen element-wise operations (subtract,
multiply, square, square root, divide, three assignments), and each one reads
and writes every weight once: for the lab's 115 million weights that is
several gigabytes of memory traffic per step, a tenth of a bfloat16 step on
a CPU. `FusedAdam` hands the same update to TensorFlow's `ApplyAdam` kernel,
which reads the weight, its gradient and Adam's two moment estimates once
and writes them back once:

    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    w = w - lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)

These are Keras' formulas (same variables, so checkpoints are shared both
ways); only the rounding of the last bit can differ. Under a `tf.distribute`
strategy with several replicas it leaves the update to Keras.
"""

from __future__ import annotations

import keras
import tensorflow as tf


class FusedAdam(keras.optimizers.Adam):
    """`keras.optimizers.Adam` (without amsgrad) whose update runs as one fused kernel per weight."""

    def update_step(self, gradient, variable, learning_rate):
        if self.amsgrad or _replicas() > 1:
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        index = self._get_variable_index(variable)
        tf.raw_ops.ResourceApplyAdam(
            var=_handle(variable),
            m=_handle(self._momentums[index]),
            v=_handle(self._velocities[index]),
            beta1_power=tf.pow(tf.cast(self.beta_1, dtype), step),
            beta2_power=tf.pow(tf.cast(self.beta_2, dtype), step),
            lr=tf.cast(learning_rate, dtype),
            beta1=tf.cast(self.beta_1, dtype),
            beta2=tf.cast(self.beta_2, dtype),
            epsilon=tf.cast(self.epsilon, dtype),
            grad=tf.cast(gradient, dtype),
        )


def _handle(variable):
    """The TensorFlow resource behind a Keras variable (Keras hands the optimiser either)."""
    return variable.value.handle if isinstance(variable, keras.Variable) else variable.handle


def _replicas() -> int:
    return tf.distribute.get_strategy().num_replicas_in_sync

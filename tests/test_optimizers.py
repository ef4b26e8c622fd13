"""cyclegan_lab.plumbing.optimizers: FusedAdam makes Keras' Adam update, weights and moments alike."""

import keras
import numpy as np
import tensorflow as tf

from cyclegan_lab.recipe.tricks import LinearDecay


def test_fused_adam_makes_keras_adams_update():
    """FusedAdam runs Adam's update as one kernel; weights and moments follow Keras' Adam to the last bits."""
    from cyclegan_lab.plumbing.optimizers import FusedAdam

    rng = np.random.default_rng(0)
    start = rng.normal(size=(40, 7)).astype("float32")
    gradients = rng.normal(size=(6, 40, 7)).astype("float32")

    def train(kind):
        weight = keras.Variable(start)
        optimizer = kind(LinearDecay(2e-3, 6, 3), beta_1=0.5)
        apply = tf.function(lambda g: optimizer.apply_gradients([(g, weight)]))
        for g in gradients:
            apply(tf.constant(g))
        return [keras.ops.convert_to_numpy(v) for v in [weight, *optimizer.variables]]

    results = [train(kind) for kind in (keras.optimizers.Adam, FusedAdam)]
    keras_adam, fused = results
    assert np.abs(keras_adam[0] - start).max() > 1e-3  # the weights moved
    for a, b in zip(keras_adam, fused):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)

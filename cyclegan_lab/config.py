"""One typed configuration for training, with the original lab's values as defaults.

The notebooks' `parameters` cells, the command line and the tests all fill a
`TrainConfig`; nothing else holds hidden defaults. The shipped generator's
recipe adds its own settings in `recipe.config.RecipeConfig`, a `TrainConfig`
with more fields.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

# tf.distribute strategies the command line and distribute.make_strategy accept (importing them loads no TensorFlow).
from .plumbing.checks import check_choices, check_finite, check_largest, check_power_of_two, check_whole
from .plumbing.distribute import STRATEGIES as STRATEGIES

__all__ = ["TrainConfig", "NETWORKS", "LOSS_NAMES", "JITTER_ZOOM", "CHOICES", "LARGEST"]

# The four losses a training step reports and a run records, step by step (`CycleGAN`, `LossHistory`, checkpoints).
NETWORKS = ["monet_generator", "photo_generator", "monet_discriminator", "photo_discriminator"]  # names in a model
LOSS_NAMES = ["monet_gen_loss", "photo_gen_loss", "monet_disc_loss", "photo_disc_loss"]
JITTER_ZOOM = 286 / 256  # the paper's jitter enlarges each image 256 -> 286 before cropping it back to 256


@dataclass
class TrainConfig:
    """Everything that decides how the lab's CycleGAN is trained.

    The defaults reproduce the original lab: 256x256 images, batch size 1,
    LAMBDA = 10, four Adam(2e-4, beta_1=0.5) optimisers, one epoch = 300 steps.
    The paper's generator is `generator="resnet"`, its loss
    `adversarial_loss="lsgan"`, its jitter `augment=True`.

    Every value is checked as the config is made: its type, its range, and
    sizes no larger than `LARGEST`. Settings from the command line, from a
    checkpoint and from a shipped model's JSON all pass through here, so a
    bad one is one message naming it, before any network is built.
    """

    image_size: int = 256  # images are square, image_size x image_size x 3 (a power of two >= 32)
    generator: str = "unet"  # "unet": the lab's U-Net; "compact": the same U-Net with 16 filters; "resnet": the paper's
    generator_filters: int | None = None  # generator's first-block filters (None: unet 64, compact 16, resnet 32)
    residual_blocks: int = 6  # residual blocks of the resnet generator (paper: 6 for 128 pixels, 9 for 256)
    batch_size: int = 1  # images per domain per step on each replica (lab: 1); global batch = batch_size x replicas
    epochs: int = 1  # passes over the data
    steps_per_epoch: int | None = None  # None: one pass over the smaller domain (300 for the lab's data)
    max_images: int | None = None  # use at most this many images per domain (None: all)
    augment: bool = False  # resize to 286, random crop 256, random flip (CycleGAN paper); the lab has none
    learning_rate: float = 2e-4  # Adam learning rate of all four optimisers
    beta_1: float = 0.5  # Adam's first-moment decay, lowered for GAN stability
    lambda_cycle: float = 10.0  # LAMBDA: weight of the cycle-consistency loss
    identity_weight: float = 0.5  # identity loss = identity_weight x LAMBDA x mean|y - G(y)|
    adversarial_loss: str = "bce"  # "bce": the lab's cross-entropy; "lsgan": the paper's least squares
    precision: str = "auto"  # "float32", "bfloat16" (mixed) or "auto": bfloat16 where the hardware has it
    seed: int = 0  # fixes weights, data order, augmentation and dropout
    checkpoint_every: int | None = None  # also save a checkpoint every N steps (None: only at epoch ends)
    keep_checkpoints: int = 2  # how many recent checkpoints to keep on disk

    def __post_init__(self) -> None:
        for name in ["image_size", "batch_size", "epochs", "keep_checkpoints", "residual_blocks"]:
            check_whole(name, getattr(self, name), allow_none=False)
        for name in ["generator_filters", "steps_per_epoch", "max_images", "checkpoint_every"]:
            check_whole(name, getattr(self, name), allow_none=True)
        check_power_of_two("image_size", self.image_size)
        for name in ["learning_rate", "lambda_cycle", "beta_1", "identity_weight"]:
            check_finite(name, getattr(self, name))
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be a finite number above 0, got {self.learning_rate!r}")
        if not self.lambda_cycle >= 0:  # 0: no cycle or identity loss, an experiment of notebook 6
            raise ValueError(f"lambda_cycle must be a finite number from 0 up, got {self.lambda_cycle!r}")
        if not 0 <= self.beta_1 < 1:
            raise ValueError(f"beta_1 must be in [0, 1), got {self.beta_1!r}")
        if not self.identity_weight >= 0:
            raise ValueError(f"identity_weight must be >= 0, got {self.identity_weight!r}")
        check_choices(self, CHOICES)
        check_largest(self, LARGEST)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**32:
            raise ValueError(
                f"seed must be a whole number from 0 to {2**32 - 1} (NumPy's seed range), got {self.seed!r}"
            )

    @property
    def filters(self) -> int:
        """The generator's first-block filters: generator_filters, or the generator's default."""
        return self.generator_filters or {"unet": 64, "compact": 16, "resnet": 32}[self.generator]

    @property
    def upsampling_mode(self) -> str:
        """How the generator upsamples: with stride-2 transposed convolutions, in the U-Net and the ResNet."""
        return "transposed"

    @property
    def train_size(self) -> int:
        """The side of the square images the networks train on."""
        return self.image_size

    @property
    def training_zoom(self) -> float:
        """How much larger than `image_size` the generators saw each scene: 286/256 with `augment`, else 1.

        The paper's jitter enlarges every image 256 -> 286 before cropping, so a
        generator trained with it learnt its brush strokes on scenes 286 pixels
        across; `inference.stylize` paints at that zoom, where its strokes fit.
        """
        return JITTER_ZOOM if self.augment else 1.0

    @classmethod
    def smoke(cls, **overrides) -> TrainConfig:
        """A one-iteration setting for CI and quick checks: 1 epoch of 1 step on 4 images."""
        values = dict(epochs=1, steps_per_epoch=1, max_images=4)
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes) -> TrainConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


CHOICES = {
    "generator": ("unet", "compact", "resnet"),
    "adversarial_loss": ("bce", "lsgan"),
    "precision": ("auto", "float32", "bfloat16"),
}

# The most each size may be: generous for real runs (the lab's and the paper's values beside each), yet small
# enough that a slip such as 1000000 is refused at once, not by an out-of-memory error or hours spent building.
LARGEST = {
    "image_size": 4096,  # the lab: 256
    "generator_filters": 1024,  # the lab's U-Net: 64; the paper's ResNet: 64; the shipped model: 32
    "residual_blocks": 64,  # the paper: 6 or 9
    "batch_size": 1024,  # the lab: 1
}

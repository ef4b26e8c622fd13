"""One typed configuration for training, with the original lab's values as defaults.

The notebooks' `parameters` cells, the command line and the tests all fill a
`TrainConfig`; nothing else holds hidden defaults.
"""

from __future__ import annotations

import ast
import dataclasses
import math
from dataclasses import dataclass

# tf.distribute strategies the command line and distribute.make_strategy accept (importing them loads no TensorFlow).
from .plumbing.distribute import STRATEGIES as STRATEGIES

# The four losses a training step reports and a run records, step by step (`CycleGAN`, `LossHistory`, checkpoints).
LOSS_NAMES = ["monet_gen_loss", "photo_gen_loss", "monet_disc_loss", "photo_disc_loss"]


@dataclass
class TrainConfig:
    """Everything that decides how a CycleGAN is trained.

    The defaults reproduce the original lab: 256x256 images, batch size 1,
    LAMBDA = 10, four Adam(2e-4, beta_1=0.5) optimisers, one epoch = 300 steps.
    The paper's recipe adds `adversarial_loss="lsgan"`, `pool_size=50`,
    `augment=True` and `decay_epochs=epochs // 2`.

    Every value is checked as the config is made: its type, its range, and
    sizes no larger than `LARGEST`. Settings from the command line, from a
    checkpoint and from a shipped model's JSON all pass through here, so a
    bad one is one message naming it, before any network is built.
    """

    image_size: int = 256  # images are square, image_size x image_size x 3 (a power of two >= 32)
    generator: str = "unet"  # "unet": the lab's U-Net; "compact": the same U-Net with 16 filters; "resnet": the paper's
    generator_filters: int | None = None  # generator's first-block filters (None: unet 64, compact 16, resnet 32)
    residual_blocks: int = 6  # residual blocks of the resnet generator (paper: 6 for 128 pixels, 9 for 256)
    downsamplings: int = 2  # resnet: stride-2 convolutions before the residual blocks (paper: 2, quarter size; 1: half)
    output_blur: bool = False  # resnet: end with a fixed [1, 2, 1] blur, so no output holds period-2 patterns
    output_notch: bool = False  # resnet: end with a fixed Fourier notch that removes period-2 patterns, nothing else
    cycle_blur: bool = False  # each generator sees the other's fakes through a fixed [1, 2, 1] blur on the cycle
    cycle_noise: float = 0.0  # ... and with Gaussian noise of this standard deviation added (e.g. 0.1); 0: none
    upsampling: str = "auto"  # "transposed", "resize" (nearest x2, 3x3 conv), "subpixel"; auto: resnet resize
    input_skip: bool = False  # resnet: the last 7x7 convolution also sees the input image (its finest detail at hand)
    crop_size: int | None = None  # train on random crop_size x crop_size patches (None: whole images); faster
    batch_size: int = 1  # images per domain per step on each replica (lab: 1); global batch = batch_size x replicas
    epochs: int = 1  # passes over the data
    steps_per_epoch: int | None = None  # None: one pass over the smaller domain (300 for the lab's data)
    max_images: int | None = None  # use at most this many images per domain (None: all)
    augment: bool = False  # resize to 286, random crop 256, random flip (CycleGAN paper); the lab has none
    learning_rate: float = 2e-4  # Adam learning rate of all four optimisers
    beta_1: float = 0.5  # Adam's first-moment decay, lowered for GAN stability
    lambda_cycle: float = 10.0  # LAMBDA: weight of the cycle-consistency loss
    identity_weight: float = 0.5  # identity loss = identity_weight x LAMBDA x mean|y - G(y)|
    spectral_weight: float = 0.0  # generators also match real images' power at each scale of detail (e.g. 1); 0: off
    adversarial_loss: str = "bce"  # "bce": the lab's cross-entropy; "lsgan": the paper's least squares
    discriminator: str = "patchgan"  # "patchgan": the lab's, from scratch; "projected"(_lite2): frozen ImageNet eyes
    discriminator_scales_at_one: bool = False  # its instance norms' scales start at 1 (TF tutorial), not N(0, 0.02)
    label_smoothing: float = 0.0  # discriminators aim at 1 - s for real images and s for fakes (e.g. 0.1); 0: none
    pool_size: int = 0  # discriminators also see up to this many past fakes (paper: 50; lab: 0, none)
    diffaugment: str = ""  # augment every discriminator input, e.g. "translation,cutout,color" (Zhao et al. 2020)
    photo_negatives: bool = False  # the Monet discriminator also learns that real photos are not Monets
    ema_decay: float = 0.0  # keep a moving average of the Monet generator's weights (e.g. 0.999) for export; 0: none
    decay_epochs: int = 0  # the learning rate falls linearly to 0 over the last decay_epochs (paper: half)
    generator_warmup_steps: int = 0  # the generators stand still for this many first steps (warm starts); 0: none
    precision: str = "auto"  # "float32", "bfloat16" (mixed) or "auto": bfloat16 where the hardware has it
    seed: int = 0  # fixes weights, data order, augmentation and dropout
    checkpoint_every: int | None = None  # also save a checkpoint every N steps (None: only at epoch ends)
    keep_checkpoints: int = 2  # how many recent checkpoints to keep on disk

    def __post_init__(self) -> None:
        if isinstance(self.diffaugment, (list, tuple)):  # ["translation", "cutout"] is fine too
            self.diffaugment = ",".join(self.diffaugment)
        if not isinstance(self.diffaugment, str):
            raise ValueError(f"diffaugment must be a comma-separated string or a list, got {self.diffaugment!r}")
        positive = ["image_size", "batch_size", "epochs", "keep_checkpoints", "residual_blocks"]
        optional_positive = ["generator_filters", "crop_size", "steps_per_epoch", "max_images", "checkpoint_every"]
        for name in positive:
            _check_int(name, getattr(self, name), allow_none=False)
        for name in optional_positive:
            _check_int(name, getattr(self, name), allow_none=True)
        check_power_of_two("image_size", self.image_size)
        for name in [
            "learning_rate",
            "lambda_cycle",
            "beta_1",
            "identity_weight",
            "ema_decay",
            "cycle_noise",
            "label_smoothing",
            "spectral_weight",
        ]:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
        for name in ["learning_rate", "lambda_cycle"]:
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a finite number above 0, got {getattr(self, name)!r}")
        if self.downsamplings not in (1, 2):
            raise ValueError(f"downsamplings must be 1 or 2, got {self.downsamplings!r}")
        if not 0 <= self.beta_1 < 1:
            raise ValueError(f"beta_1 must be in [0, 1), got {self.beta_1!r}")
        for name in ["identity_weight", "spectral_weight"]:
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not 0 <= self.label_smoothing < 0.5:
            raise ValueError(
                f"label_smoothing must be in [0, 0.5) (0.1: targets 0.9 and 0.1), got {self.label_smoothing!r}"
            )
        if not 0 <= self.cycle_noise <= 1:
            raise ValueError(
                f"cycle_noise is a standard deviation in [0, 1] (images span [-1, 1]), got {self.cycle_noise!r}"
            )
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}")
        for name in ["pool_size", "decay_epochs", "generator_warmup_steps"]:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
        for name, largest in LARGEST.items():  # before any network is built: 10**6 filters would never fit
            if getattr(self, name) is not None and getattr(self, name) > largest:
                raise ValueError(
                    f"{name} must be at most {largest} (far more than any real run uses), got {getattr(self, name)!r}"
                )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**32:
            raise ValueError(
                f"seed must be a whole number from 0 to {2**32 - 1} (NumPy's seed range), got {self.seed!r}"
            )
        unknown = set(self.diffaugment_policies) - set(DIFFAUGMENT)
        if unknown:
            raise ValueError(
                f"diffaugment takes a comma-separated list of {', '.join(DIFFAUGMENT)}; got {self.diffaugment!r}"
            )
        if not (isinstance(self.ema_decay, (int, float)) and 0 <= self.ema_decay < 1):
            raise ValueError(f"ema_decay must be in [0, 1) (0: no moving average), got {self.ema_decay!r}")
        if self.decay_epochs > self.epochs:
            raise ValueError(f"decay_epochs ({self.decay_epochs}) cannot exceed epochs ({self.epochs})")
        for name in ["discriminator_scales_at_one", "input_skip"]:
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.upsampling == "subpixel" and self.generator != "resnet":
            raise ValueError(f"upsampling='subpixel' is built for the resnet generator only, not {self.generator!r}")
        if self.input_skip and self.generator != "resnet":
            raise ValueError(f"input_skip is built for the resnet generator only, not {self.generator!r}")
        if self.crop_size is not None:
            check_power_of_two("crop_size", self.crop_size, largest=self.image_size)

    @property
    def filters(self) -> int:
        """The generator's first-block filters: generator_filters, or the generator's default."""
        return self.generator_filters or {"unet": 64, "compact": 16, "resnet": 32}[self.generator]

    @property
    def upsampling_mode(self) -> str:
        """ "transposed", "resize" or "subpixel": upsampling, with auto resolved (resize for the ResNet)."""
        if self.upsampling != "auto":
            return self.upsampling
        return "resize" if self.generator == "resnet" else "transposed"

    @property
    def diffaugment_policies(self) -> tuple[str, ...]:
        """The augmentations of `diffaugment` as a tuple, e.g. ("translation", "cutout")."""
        return tuple(p.strip() for p in self.diffaugment.split(",") if p.strip())

    @property
    def train_size(self) -> int:
        """The side of the square images the networks train on: crop_size, or image_size."""
        return self.crop_size or self.image_size

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


# The recipe of the shipped Monet generator (`scripts/train_monet.py` trains with it; each "why" is beside it).
RECIPE = dict(
    generator="resnet",  # the paper's generator, 6 residual blocks, resize-convolutions
    generator_filters=32,  # 32 filters, one downsampling: the blocks work at 64 channels and half size
    downsamplings=1,  # half size leaves the blocks room for brush strokes (0.49 M weights)
    cycle_blur=True,  # fakes blurred on the way back only: hiding the photo in period-2 patterns does not pay,
    # and the painting stays sharp (an output blur costs the measure most of the gap: a blurred Monet closes 31%)
    output_notch=True,  # no period-2 pattern in any painting, and the discriminator judges what ships (a notched
    # Monet closes 100%); the shipped generator's run trained without it and had it added at export
    crop_size=128,  # random 128 crops of the 286-pixel jittered images: 4x less work per step, same scale
    augment=True,
    adversarial_loss="lsgan",
    pool_size=50,
    diffaugment="translation,cutout",
    ema_decay=0.999,
    max_images=1200,  # photos 1,201-1,500 stay unseen
    steps_per_epoch=500,
    epochs=60,  # 30,000 steps: resumable, stopped earlier (--stop-at) once the held-out measures stop improving
    decay_epochs=20,  # the learning rate: 2e-4 for 20,000 steps, then linearly to 0 over the last 10,000
    checkpoint_every=500,
    keep_checkpoints=40,  # every 500 steps of 20,000 (about 100 MB each): the best step can ship, not just the last
    seed=0,
)


def with_settings(recipe: dict, settings: list[str]) -> TrainConfig:
    """`TrainConfig(**recipe)` with command-line settings applied: ["identity_weight=0.1", "crop_size=None"].

    Each value is read as a Python literal (0.1, None, True, 256) or, failing
    that, kept as a string (``diffaugment=translation,cutout``).
    """
    values = dict(recipe)
    for item in settings:
        field, equals, value = item.partition("=")
        if not equals:
            raise ValueError(f"a setting is FIELD=VALUE, e.g. identity_weight=0.1; got {item!r}")
        try:
            values[field] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            values[field] = value
    unknown = sorted(set(values) - {field.name for field in dataclasses.fields(TrainConfig)})
    if unknown:
        raise ValueError(f"TrainConfig has no setting {', '.join(unknown)}")
    return TrainConfig(**values)


JITTER_ZOOM = 286 / 256  # the paper's jitter enlarges each image 256 -> 286 before cropping it back to 256
CHOICES = {
    "generator": ("unet", "compact", "resnet"),
    "upsampling": ("auto", "transposed", "resize", "subpixel"),
    "adversarial_loss": ("bce", "lsgan"),
    "discriminator": ("patchgan", "projected", "projected_lite2"),
    "precision": ("auto", "float32", "bfloat16"),
}

# The most each size may be: generous for real runs (the lab's and the paper's values beside each), yet small
# enough that a slip such as 1000000 is refused at once, not by an out-of-memory error or hours spent building.
LARGEST = {
    "image_size": 4096,  # the lab: 256
    "generator_filters": 1024,  # the lab's U-Net: 64; the paper's ResNet: 64; the shipped model: 32
    "residual_blocks": 64,  # the paper: 6 or 9
    "batch_size": 1024,  # the lab: 1
    "pool_size": 1000,  # the paper: 50 past fakes (each pool holds pool_size whole images)
}

DIFFAUGMENT = ("translation", "cutout", "color")


def _check_int(name: str, value, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")


def check_power_of_two(name: str, value: int, largest: int | None = None) -> int:
    """`value`, if it is a power of two of at least 32 (and at most `largest`); else one ValueError.

    The U-Net halves its input down to one pixel, and the networks are built
    for one size: 32, 64, 128, 256, ... (the lab uses 256).
    """
    if value < 32 or value & (value - 1) or (largest is not None and value > largest):
        span = f"from 32 to image_size ({largest})" if largest is not None else "of at least 32"
        raise ValueError(f"{name} must be a power of two {span} (the lab uses 256), got {value!r}")
    return value

"""The shipped generator's recipe: `RecipeConfig`, the lab's `TrainConfig` with the recipe's settings.

Each setting here is off by default, so `RecipeConfig()` trains exactly what
`TrainConfig()` trains; `RECIPE` switches on what the shipped Monet generator
was trained with (`scripts/train_monet.py`; each "why" is beside it). A run's
checkpoints and the shipped model's JSON store all fields in one flat
dictionary, read back as a `RecipeConfig`.
"""

from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass

from ..config import TrainConfig
from ..plumbing.checks import check_choices, check_finite, check_largest, check_power_of_two, check_whole

__all__ = ["DIFFAUGMENT", "CHOICES", "LARGEST", "RecipeConfig", "RECIPE", "with_settings"]

DIFFAUGMENT = ("translation", "cutout", "color")
CHOICES = {
    "upsampling": ("auto", "transposed", "resize", "subpixel"),
    "discriminator": ("patchgan", "projected", "projected_lite2"),
}
LARGEST = {"pool_size": 1000}  # the paper: 50 past fakes (each pool holds pool_size whole images)


@dataclass
class RecipeConfig(TrainConfig):
    """A `TrainConfig` with the recipe's settings: each one a trick the shipped generator was trained with."""

    crop_size: int | None = None  # train on random crop_size x crop_size patches (None: whole images); faster
    downsamplings: int = 2  # resnet: stride-2 convolutions before the residual blocks (paper: 2, quarter size; 1: half)
    upsampling: str = "auto"  # "transposed", "resize" (nearest x2, 3x3 conv), "subpixel"; auto: resnet resize
    input_skip: bool = False  # resnet: the last 7x7 convolution also sees the input image (its finest detail at hand)
    output_blur: bool = False  # resnet: end with a fixed [1, 2, 1] blur, so no output holds period-2 patterns
    output_notch: bool = False  # resnet: end with a fixed Fourier notch that removes period-2 patterns, nothing else
    cycle_blur: bool = False  # each generator sees the other's fakes through a fixed [1, 2, 1] blur on the cycle
    cycle_noise: float = 0.0  # ... and with Gaussian noise of this standard deviation added (e.g. 0.1); 0: none
    spectral_weight: float = 0.0  # generators also match real images' power at each scale of detail (e.g. 1); 0: off
    discriminator: str = "patchgan"  # "patchgan": the lab's, from scratch; "projected"(_lite2): frozen ImageNet eyes
    discriminator_scales_at_one: bool = False  # its instance norms' scales start at 1 (TF tutorial), not N(0, 0.02)
    label_smoothing: float = 0.0  # discriminators aim at 1 - s for real images and s for fakes (e.g. 0.1); 0: none
    pool_size: int = 0  # discriminators also see up to this many past fakes (paper: 50; lab: 0, none)
    diffaugment: str = ""  # augment every discriminator input, e.g. "translation,cutout,color" (Zhao et al. 2020)
    photo_negatives: bool = False  # the Monet discriminator also learns that real photos are not Monets
    ema_decay: float = 0.0  # keep a moving average of the Monet generator's weights (e.g. 0.999) for export; 0: none
    decay_epochs: int = 0  # the learning rate falls linearly to 0 over the last decay_epochs (paper: half)
    generator_warmup_steps: int = 0  # the generators stand still for this many first steps (warm starts); 0: none

    def __post_init__(self) -> None:
        if isinstance(self.diffaugment, (list, tuple)):  # ["translation", "cutout"] is fine too
            self.diffaugment = ",".join(self.diffaugment)
        if not isinstance(self.diffaugment, str):
            raise ValueError(f"diffaugment must be a comma-separated string or a list, got {self.diffaugment!r}")
        super().__post_init__()
        check_whole("crop_size", self.crop_size, allow_none=True)
        for name in ["ema_decay", "cycle_noise", "label_smoothing", "spectral_weight"]:
            check_finite(name, getattr(self, name))
        if self.downsamplings not in (1, 2):
            raise ValueError(f"downsamplings must be 1 or 2, got {self.downsamplings!r}")
        if not self.spectral_weight >= 0:
            raise ValueError(f"spectral_weight must be >= 0, got {self.spectral_weight!r}")
        if not 0 <= self.label_smoothing < 0.5:
            raise ValueError(
                f"label_smoothing must be in [0, 0.5) (0.1: targets 0.9 and 0.1), got {self.label_smoothing!r}"
            )
        if not 0 <= self.cycle_noise <= 1:
            raise ValueError(
                f"cycle_noise is a standard deviation in [0, 1] (images span [-1, 1]), got {self.cycle_noise!r}"
            )
        check_choices(self, CHOICES)
        for name in ["pool_size", "decay_epochs", "generator_warmup_steps"]:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
        check_largest(self, LARGEST)
        if set(self.diffaugment_policies) - set(DIFFAUGMENT):
            raise ValueError(
                f"diffaugment takes a comma-separated list of {', '.join(DIFFAUGMENT)}; got {self.diffaugment!r}"
            )
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must be in [0, 1) (0: no moving average), got {self.ema_decay!r}")
        if self.decay_epochs > self.epochs:
            raise ValueError(f"decay_epochs ({self.decay_epochs}) cannot exceed epochs ({self.epochs})")
        for name in ["discriminator_scales_at_one", "input_skip"]:
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        for name, value in [("upsampling='subpixel'", self.upsampling == "subpixel"), ("input_skip", self.input_skip)]:
            if value and self.generator != "resnet":
                raise ValueError(f"{name} is built for the resnet generator only, not {self.generator!r}")
        if self.crop_size is not None:
            check_power_of_two("crop_size", self.crop_size, largest=self.image_size)

    @property
    def model_class(self) -> type:
        """The model this config trains: `RecipeCycleGAN` (imported here, so a config alone loads no TensorFlow)."""
        from .cyclegan import RecipeCycleGAN

        return RecipeCycleGAN

    @property
    def upsampling_mode(self) -> str:
        """ "transposed", "resize" or "subpixel": upsampling, with auto resolved (resize for the recipe's ResNet)."""
        if self.upsampling == "auto":
            return "resize" if self.generator == "resnet" else super().upsampling_mode
        return self.upsampling

    @property
    def train_size(self) -> int:
        """The side of the square images the networks train on: crop_size, or image_size."""
        return self.crop_size or self.image_size

    @property
    def diffaugment_policies(self) -> tuple[str, ...]:
        """The augmentations of `diffaugment` as a tuple, e.g. ("translation", "cutout")."""
        return tuple(p.strip() for p in self.diffaugment.split(",") if p.strip())


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


def with_settings(recipe: dict, settings: list[str]) -> RecipeConfig:
    """`RecipeConfig(**recipe)` with command-line settings applied: ["identity_weight=0.1", "crop_size=None"].

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
    unknown = sorted(set(values) - {field.name for field in dataclasses.fields(RecipeConfig)})
    if unknown:
        raise ValueError(f"TrainConfig has no setting {', '.join(unknown)}")
    return RecipeConfig(**values)

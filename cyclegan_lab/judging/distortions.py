"""Photos spoiled on purpose, to test a quality measure on cases the eye can judge.

A measure of "how Monet-like" is worth trusting only if it agrees with the
eye where the answer is plain. Each function takes (n, h, w, 3) uint8 images
and returns the same shape, so a measure can be asked: are blurred photos,
photos with a chequerboard, or photos with one texture stamped over them
closer to Monet's paintings than the photos themselves? (They should not be.)
Is a colour transfer of the photos to Monet's palette a little closer? (It should.)
`low_pass` removes only the finest detail, to ask how much a measure cares for it.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

__all__ = ["blur", "chequerboard", "stamp_texture", "colour_transfer", "low_pass"]


def blur(images: np.ndarray, radius: float = 3.0) -> np.ndarray:
    """Gaussian blur of `radius` pixels: the soft, detail-free look of an undertrained generator."""
    return np.stack([np.asarray(Image.fromarray(x).filter(ImageFilter.GaussianBlur(radius))) for x in images])


def chequerboard(images: np.ndarray, amplitude: float = 24.0) -> np.ndarray:
    """Add +-`amplitude` pixel values in a one-pixel chequerboard, coloured differently per channel:
    the artefact of a stride-2 transposed convolution."""
    h, w = images.shape[1:3]
    parity = (np.add.outer(np.arange(h), np.arange(w)) % 2 * 2 - 1)[..., None]  # +-1, (h, w, 1)
    pattern = parity * np.array([1.0, -0.5, 0.75]) * amplitude
    return np.clip(np.asarray(images, np.float64) + pattern, 0, 255).astype(np.uint8)


def stamp_texture(images: np.ndarray, texture: np.ndarray, strength: float = 1.5) -> np.ndarray:
    """Add the fine detail of one `texture` image (itself minus its blur) to every image:
    one pattern stamped over everything, whatever the picture shows."""
    texture = np.asarray(texture, np.float64)
    detail = texture - np.asarray(Image.fromarray(texture.astype(np.uint8)).filter(ImageFilter.GaussianBlur(4)))
    detail = np.asarray(Image.fromarray(np.clip(detail + 128, 0, 255).astype(np.uint8)).resize(images.shape[2:0:-1]))
    return np.clip(np.asarray(images, np.float64) + strength * (detail - 128.0), 0, 255).astype(np.uint8)


def colour_transfer(images: np.ndarray, paintings: np.ndarray) -> np.ndarray:
    """Give each image the paintings' colour statistics (Reinhard et al. 2001, in RGB): per channel,
    shift and scale its values to the paintings' mean and spread. Content and detail stay; the palette moves."""
    x = np.asarray(images, np.float64)
    target_mean, target_std = paintings.mean(axis=(0, 1, 2)), paintings.std(axis=(0, 1, 2))
    mean, std = x.mean(axis=(1, 2), keepdims=True), x.std(axis=(1, 2), keepdims=True) + 1e-6
    return np.clip((x - mean) / std * target_std + target_mean, 0, 255).astype(np.uint8)


def low_pass(images: np.ndarray, cutoff: float = 0.4) -> np.ndarray:
    """Keep only the spatial frequencies below `cutoff` cycles per pixel (a sharp cut in the Fourier domain).

    0.5 cycles per pixel is the finest pattern a pixel grid holds (period 2);
    `cutoff=0.4` removes periods under 2.5 pixels and leaves everything wider
    as it was: a photo that looks the same at arm's length, minus its crispest
    grain and edges.
    """
    x = np.asarray(images, np.float64)
    rows, columns = np.fft.fftfreq(x.shape[1]), np.fft.fftfreq(x.shape[2])
    keep = np.hypot(rows[:, None], columns[None, :]) < cutoff
    kept = np.fft.ifft2(np.fft.fft2(x, axes=(1, 2)) * keep[None, :, :, None], axes=(1, 2)).real
    return np.clip(np.round(kept), 0, 255).astype(np.uint8)

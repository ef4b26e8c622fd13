"""Interactive comparison of photos and their Monet versions, with ipywidgets.

`MonetComparer(generator, photos)` shows a photo next to what the generator
makes of it. A slider picks the photo, a second slider moves a before/after
split across the picture, "Show all" lays every pair out as a grid, and an
upload button stylises a photo of your own (any size, JPEG or PNG, any colour
mode). Each Monet version is computed once and cached, so moving a slider
back and forth only redraws.

Without a front end (papermill, nbval, a notebook read on GitHub) the widgets
render as nothing, so `figure()` gives the same comparison as a static
matplotlib figure.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
from PIL import Image

from .images import load_image
from .inference import stylize

__all__ = ["MonetComparer", "split_view", "png_bytes"]


def png_bytes(image: np.ndarray) -> bytes:
    """A (h, w, 3) uint8 array as PNG bytes, for an `ipywidgets.Image`."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def split_view(before: np.ndarray, after: np.ndarray, position: float) -> np.ndarray:
    """`before` left of the split, `after` right of it, with a white line at the split.

    `position` is the split's place from 0 (all `after`) to 1 (all `before`).
    """
    width = before.shape[1]
    x = int(round(np.clip(position, 0.0, 1.0) * width))
    view = np.concatenate([before[:, :x], after[:, x:]], axis=1)
    if 0 < x < width:
        view[:, max(0, x - 1) : x + 1] = 255
    return view


_BLANK = np.full((8, 8, 3), 255, np.uint8)


class MonetComparer:
    """Photos and their Monet versions, side by side, for a notebook.

    `generator` is a Keras model mapping (b, s, s, 3) in [-1, 1] to the same
    shape (the lab's `monet_generator`, or `load_pretrained("monet")`); `photos` is a
    (n, s, s, 3) uint8 array and `names` their labels (default "photo 1", "photo 2", ...). `monets`, if given,
    are their Monet versions already computed.
    """

    def __init__(
        self,
        generator,
        photos: np.ndarray,
        names: Sequence[str] | None = None,
        monets: np.ndarray | None = None,
        grid_size: int = 128,
    ):
        if len(photos) == 0:
            raise ValueError("MonetComparer needs at least one photo")
        self.generator = generator
        # Uploads are loaded at the generator's input size, or, for one that takes any size, the photos' size.
        self.size = int(generator.input_shape[1] or np.asarray(photos[0]).shape[0])
        self.photos = [np.asarray(p, dtype=np.uint8) for p in photos]
        self.names = list(names) if names is not None else [f"photo {i + 1}" for i in range(len(photos))]
        self.grid_size = grid_size
        self._monets: dict[int, np.ndarray] = dict(enumerate(monets)) if monets is not None else {}

        self.picker = widgets.IntSlider(
            value=0, min=0, max=len(self.photos) - 1, description="Photo", continuous_update=True
        )
        self.caption = widgets.Label()
        self.split = widgets.FloatSlider(
            value=0.5,
            min=0.0,
            max=1.0,
            step=0.01,
            description="Before | after",
            readout=False,
            style={"description_width": "initial"},
        )
        self.photo_view = widgets.Image(format="png", width=256, height=256)
        self.monet_view = widgets.Image(format="png", width=256, height=256)
        self.split_view = widgets.Image(format="png", width=256, height=256)
        self.upload = widgets.FileUpload(accept=".jpg,.jpeg,.png,image/*", multiple=False, description="Your photo")
        self.message = widgets.HTML()
        self.show_all = widgets.ToggleButton(value=False, description="Show all", icon="th")
        self.grid = widgets.VBox()

        self.picker.observe(lambda change: self.show(change["new"]), names="value")
        self.split.observe(lambda change: self._draw_split(), names="value")
        self.upload.observe(self._on_upload, names="value")
        self.show_all.observe(lambda change: self._draw_grid(), names="value")

        titled = lambda title, view: widgets.VBox([widgets.HTML(f"<b>{title}</b>"), view])
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.picker, self.caption]),
                widgets.HBox(
                    [
                        titled("Photo", self.photo_view),
                        titled("Monet", self.monet_view),
                        widgets.VBox([widgets.HTML("<b>Compare</b>"), self.split_view, self.split]),
                    ]
                ),
                widgets.HBox([self.upload, self.show_all]),
                self.message,
                self.grid,
            ]
        )
        self.show(0)

    def monet(self, index: int) -> np.ndarray:
        """The Monet version of photo `index`, (s, s, 3) uint8, computed once and then cached."""
        if index not in self._monets:
            self._monets[index] = stylize(self.photos[index], self.generator, size=None)
        return self._monets[index]

    def show(self, index: int) -> None:
        """Show photo `index`, its Monet version and the split view."""
        if self.picker.value != index:
            self.picker.value = index  # calls show again through the observer
            return
        self.caption.value = self.names[index]
        self.photo_view.value = png_bytes(self.photos[index])
        self.monet_view.value = png_bytes(self.monet(index))
        self._draw_split()

    def add_photo(self, data: bytes, name: str) -> int:
        """Stylise an image file's bytes (any size or mode); returns its index. Raises ValueError if unreadable."""
        photo = load_image(io.BytesIO(data), self.size, name=name)
        self.photos.append(photo)
        self.names.append(name)
        self.picker.max = len(self.photos) - 1
        self.show(len(self.photos) - 1)
        if self.show_all.value:
            self._draw_grid()
        return len(self.photos) - 1

    def figure(self, indices: Sequence[int] | None = None, ncols: int = 4):
        """A static matplotlib figure: each chosen photo above its Monet version, `ncols` pairs a row."""
        from .plotting import show_images

        indices = list(indices) if indices is not None else [self.picker.value]
        ncols = min(ncols, len(indices))
        images, titles = [], []
        for start in range(0, len(indices), ncols):
            row = indices[start : start + ncols]
            row += [None] * (ncols - len(row))  # pad the last row
            images += [self.photos[i] if i is not None else _BLANK for i in row]
            images += [self.monet(i) if i is not None else _BLANK for i in row]
            titles += [self.names[i] if i is not None else "" for i in row] + [
                "Monet" if i is not None else "" for i in row
            ]
        return show_images(images, titles, ncols=ncols)

    def _draw_split(self) -> None:
        index = self.picker.value
        self.split_view.value = png_bytes(split_view(self.photos[index], self.monet(index), self.split.value))

    def _draw_grid(self) -> None:
        if not self.show_all.value:
            self.grid.children = ()
            return
        small = lambda image: png_bytes(np.asarray(Image.fromarray(image).resize((self.grid_size,) * 2)))
        cells = []
        for i, name in enumerate(self.names):
            pair = widgets.HBox(
                [
                    widgets.Image(value=small(self.photos[i]), format="png"),
                    widgets.Image(value=small(self.monet(i)), format="png"),
                ]
            )
            cells.append(widgets.VBox([widgets.Label(name), pair]))
        rows = [widgets.HBox(cells[i : i + 3]) for i in range(0, len(cells), 3)]
        self.grid.children = tuple(rows)

    def _on_upload(self, change) -> None:
        for upload in change["new"]:
            try:
                self.add_photo(bytes(upload["content"]), upload["name"])
                self.message.value = ""
            except ValueError as error:
                self.message.value = f"<span style='color:#b00'>Could not use {upload['name']}: {error}</span>"

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

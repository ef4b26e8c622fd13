"""The bottom floor: plumbing that any module may use, which imports nothing else from `cyclegan_lab`.

`download` and `files` (checked downloads, atomic writes), `saved_model` (a
TensorFlow SavedModel from the web as a Keras model), `folder_lock` (one
run per checkpoint folder), `precision` and `distribute` (number formats,
several devices), `image_reading` (any image file as upright RGB) and
`tiles` (the sides a generator accepts; resizing, padding and tiling a picture), `npz` and
`checkpoint_file` (an archive, and a checkpoint, read without believing it), `live_figure`
(a notebook figure replaced in place). You need none of it to learn CycleGAN; pyproject.toml's
import-linter contracts keep it at the bottom.
"""

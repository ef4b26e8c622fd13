"""The bottom floor: plumbing that any module may use, which imports nothing else from `cyclegan_lab`.

`download` and `files` (checked downloads, atomic writes), `saved_model` (a
TensorFlow SavedModel from the web as a Keras model), `folder_lock` (one
run per checkpoint folder), `precision` and `distribute` (number formats,
several devices). You need none of it to learn
CycleGAN; pyproject.toml's import-linter contracts keep it at the bottom.
"""

"""The top floor: the `cyclegan-lab` program, which no lesson needs.

`cli` (the `cyclegan-lab` command), `runs` (keep a training run: its
folder locked, its checkpoints checked before they are believed, damaged
ones set aside, changed settings stopped; a generator from a run's
checkpoint), `paint_files` and `submission` (paint folders of files; a
Kaggle `images.zip`), `export` (ship a run's networks as package files;
warm-start a new run from them). They stand on every floor
below; nothing else in the package imports them (pyproject.toml's
import-linter contracts keep it so).
"""

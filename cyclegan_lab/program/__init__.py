"""The top floor: the `cyclegan-lab` program, which no lesson needs.

`cli` (the `cyclegan-lab` command), `paint_files` and `submission` (paint
folders of files; a Kaggle `images.zip`), `export` (ship a run's networks as
package files; warm-start a new run from them). They stand on every floor
below; nothing else in the package imports them (pyproject.toml's
import-linter contracts keep it so).
"""

"""The top floor: the `cyclegan-lab` program, which no lesson needs.

`cli` (the `cyclegan-lab` command), `paint_files` and `submission` (paint
folders of files; a Kaggle `images.zip`). They stand on the lesson's modules
in `cyclegan_lab` and on `cyclegan_lab.plumbing`; nothing else in the package
imports them (pyproject.toml's import-linter contracts keep it so).
"""

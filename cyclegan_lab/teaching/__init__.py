"""Teaching aids: what the notebooks use to check and show the lab, which the lab itself never imports.

`exercises` and `parameters` (the notebooks' checks), `drawings` and
`inspect_model` (diagrams, layer tables, receptive fields), `reference` (the
lab's own training step, the yardstick for `cyclegan.CycleGAN`'s). They stand
on the lab's modules in `cyclegan_lab`; pyproject.toml's import-linter
contracts keep them above it.
"""

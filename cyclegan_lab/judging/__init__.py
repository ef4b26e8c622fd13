"""Judging paintings: how Monet-like a generator's paintings are, measured apart from its training.

`judge` (the measure that decides what ships: VGG19 features, a network no
training here looks through, against held-out paintings), `scores` (KID and
FID, the earlier EfficientNet measure, which the projected discriminators can
see, and the diagnostics beside it), `distortions` (photos spoiled on purpose,
to test a measure), `inception` (InceptionV3 features), `monitor` (a callback
that measures a long run as it trains). No module of the lab or the recipe
imports this floor (pyproject.toml's import-linter contracts keep it so).
"""

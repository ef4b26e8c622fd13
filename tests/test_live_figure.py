"""plumbing.live_figure: one picture in the notebook, replaced in place by each new one; outside a notebook,
nothing is shown and no figure is left open."""

import matplotlib.pyplot as plt

from cyclegan_lab.plumbing.live_figure import LiveFigure


def test_live_figure_outside_a_notebook_only_closes_the_figure():
    live = LiveFigure()
    figure = plt.figure()
    live(figure)
    assert live.handle is None and figure.number not in plt.get_fignums()


def test_live_figure_in_a_notebook_shows_once_then_updates_in_place(monkeypatch):
    import IPython
    import IPython.display

    shown = []

    class Handle:
        def update(self, figure):
            shown.append(("update", figure))

    def display(figure, display_id=False):
        shown.append(("display", figure))
        return Handle() if display_id else None

    monkeypatch.setattr(IPython, "get_ipython", lambda: object())  # as inside a notebook's kernel
    monkeypatch.setattr(IPython.display, "display", display)
    live = LiveFigure()
    first, second = plt.figure(), plt.figure()
    live(first)
    live(second)
    assert shown == [("display", first), ("update", second)]
    assert first.number not in plt.get_fignums() and second.number not in plt.get_fignums()

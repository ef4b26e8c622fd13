"""Show a matplotlib figure in a notebook, and replace it in place with each new one."""

from __future__ import annotations

__all__ = ["LiveFigure"]


class LiveFigure:
    """Show a matplotlib figure in the notebook, then replace it in place with each new one."""

    def __init__(self):
        self.handle = None

    def __call__(self, figure) -> None:
        import matplotlib.pyplot as plt

        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            get_ipython = None
        if get_ipython is not None and get_ipython() is not None:
            if self.handle is None:
                self.handle = display(figure, display_id=True)
            else:
                self.handle.update(figure)
        plt.close(figure)

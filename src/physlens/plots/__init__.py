"""Figures: one seaborn style for every stage, and per-stage plotting modules."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # workflow jobs have no display


def use_style(context: str = "paper") -> None:
    """The project's figure style: seaborn ticks, colour-blind palette, readable fonts."""
    import seaborn as sns

    sns.set_theme(context=context, style="ticks", palette="colorblind", font_scale=1.1)
    matplotlib.rcParams.update({"figure.dpi": 150, "savefig.bbox": "tight", "axes.grid": False})


def save_figure(fig, path) -> None:
    """Save a figure atomically (format by the path's suffix, 150 dpi, tight box) and close it.

    PNGs carry no software-version tag, so the same result gives the same bytes."""
    import matplotlib.pyplot as plt

    from physlens.io import atomic_path

    path = Path(path)
    # the temporary name keeps the real suffix: matplotlib picks the format from it
    with atomic_path(path, suffix=".tmp" + path.suffix) as tmp:
        fig.savefig(
            tmp,
            dpi=150,
            bbox_inches="tight",
            metadata={"Software": None} if path.suffix == ".png" else None,
        )
    plt.close(fig)

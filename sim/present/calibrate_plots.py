"""`ladder calibrate --plot`: each parameter's prior against its posterior (matplotlib)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .plots import _figure

SHOWN = 9  # parameters drawn: those the fit moved most


def posterior_figure(summary: dict, prior: pd.DataFrame, posterior: pd.DataFrame):
    """Histograms (as densities) of the prior's draws and the accepted ones, one panel per
    parameter, the parameters whose spread the fit narrowed most first."""
    params = [p["path"] for p in summary["parameters"]][:SHOWN]
    cols = min(3, max(len(params), 1))
    rows = max(1, math.ceil(len(params) / cols))
    fig = _figure(f"{summary['scenario']}: prior ({summary['runs']:,} runs) against posterior "
                  f"({summary['accepted']:,} accepted), fit {summary['fit']['window'][0]} to "
                  f"{summary['fit']['window'][1]}",
                  "Densities of each parameter's draws; the posterior is the accepted runs'.",
                  height=2.6 * rows + 1.2)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, path in zip(axes, params, strict=False):
        a = prior[f"drawn:{path}"].to_numpy(float)
        b = posterior[f"drawn:{path}"].to_numpy(float)
        bins = np.histogram_bin_edges(a, bins=20)
        ax.hist(a, bins=bins, density=True, alpha=0.45, label="prior", color="#888888")
        ax.hist(b, bins=bins, density=True, alpha=0.6, label="posterior", color="#c44e52")
        ax.set_title(path if len(path) <= 48 else "..." + path[-45:], fontsize=8.5)
        ax.tick_params(labelsize=7.5)
    for ax in axes[len(params):]:
        ax.set_visible(False)
    if params:
        axes[0].legend(fontsize=8)
    return fig

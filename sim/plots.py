"""Figures: projected urbanization against the official record."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim import datasets  # noqa: E402
from sim.policies import article_number  # noqa: E402

RESIDENT_COLOR, HUKOU_COLOR, GAP_COLOR = "#1f77b4", "#d62728", "#555555"
OFFICIAL_YEARS = range(2015, 2021)


def official_points() -> pd.DataFrame:
    """Official resident (revised series) and hukou urbanization, 2015-2020."""
    resident = datasets.official_series("resident_urbanization_rate_revised")
    hukou = datasets.official_series("hukou_urbanization_rate")
    years = [y for y in OFFICIAL_YEARS if y in resident.index and y in hukou.index]
    return pd.DataFrame({"year": years, "resident": resident[years].to_numpy(),
                         "hukou": hukou[years].to_numpy()}).assign(gap=lambda d: d.resident - d.hukou)


def _gap_columns(ts: pd.DataFrame) -> list[str]:
    """The gap and whichever of its bands ``ts`` has (the axis must show them whole)."""
    return [c for c in ("gap_pp", "gap_pp_p10", "gap_pp_p90", "gap_pp_model_p10", "gap_pp_model_p90") if c in ts]


def _band(ax, ts: pd.DataFrame, col: str, color: str) -> None:
    if f"{col}_model_p10" in ts:  # with the hindcast error of each horizon (sim/model_error.py)
        ax.fill_between(ts["year"], ts[f"{col}_model_p10"], ts[f"{col}_model_p90"], color=color, alpha=0.08, lw=0)
    if f"{col}_p10" in ts:
        ax.fill_between(ts["year"], ts[f"{col}_p10"], ts[f"{col}_p90"], color=color, alpha=0.2, lw=0)


def plot_urbanization(ts: pd.DataFrame, path: Path, title: str, note: str) -> None:
    """Both rates and the gap against time, with official 2015-2020 points."""
    official = official_points()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7.5), sharex=True,
                                      gridspec_kw={"height_ratios": [2, 1]})
    banded = "resident_urbanization_pct_p10" in ts
    label_suffix = " (median, p10-p90 band)" if banded else ""
    for col, color, name in (("resident_urbanization_pct", RESIDENT_COLOR, "Resident urbanization"),
                             ("hukou_urbanization_pct", HUKOU_COLOR, "Hukou urbanization")):
        _band(top, ts, col, color)
        top.plot(ts["year"], ts[col], color=color, lw=2, label=f"{name}, simulated{label_suffix}")
    top.plot(official["year"], official["resident"], "o", color=RESIDENT_COLOR, mfc="white",
             label="Resident, official (NBS revised series)")
    top.plot(official["year"], official["hukou"], "s", color=HUKOU_COLOR, mfc="white",
             label="Hukou, official (NBS / Ministry of Public Security)")
    last = ts.iloc[-1]
    for col, color in (("resident_urbanization_pct", RESIDENT_COLOR), ("hukou_urbanization_pct", HUKOU_COLOR)):
        top.annotate(f"{last[col]:.1f} %", (last["year"], last[col]), xytext=(6, 0),
                     textcoords="offset points", va="center", color=color, fontsize=9)
    top.set_ylabel("share of total population (%)")
    top.set_title(title)
    top.legend(loc="upper left", fontsize=8, frameon=False)
    top.grid(alpha=0.3)

    _band(bottom, ts, "gap_pp", GAP_COLOR)
    bottom.plot(ts["year"], ts["gap_pp"], color=GAP_COLOR, lw=2, label=f"Gap, simulated{label_suffix}")
    bottom.plot(official["year"], official["gap"], "D", color=GAP_COLOR, mfc="white", label="Gap, official")
    bottom.annotate(f"{last['gap_pp']:.1f} pp", (last["year"], last["gap_pp"]), xytext=(6, 0),
                    textcoords="offset points", va="center", color=GAP_COLOR, fontsize=9)
    bottom.set_ylabel("resident - hukou\n(percentage points)")
    bottom.set_xlabel("year (end of year)" + ("\ndark bands: p10-p90 over replications; light: with the model's "
                                              "hindcast error (backtest)" if banded else ""))
    bottom.legend(loc="lower left", fontsize=8, frameon=False)
    bottom.grid(alpha=0.3)
    gaps = [official["gap"]] + [ts[c] for c in _gap_columns(ts)]
    bottom.set_ylim(min(g.min() for g in gaps) - 0.5, max(g.max() for g in gaps) + 0.5)
    years = list(range(min(OFFICIAL_YEARS), int(ts["year"].max()) + 1))
    bottom.set_xticks(years if len(years) <= 16 else years[::5])
    bottom.set_xlim(min(OFFICIAL_YEARS) - 0.5, ts["year"].max() + 1.2)
    fig.text(0.01, 0.005, note, fontsize=7, color="#444444", ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)


SCENARIO_STYLES = ("-", "--", ":", "-.")


def plot_scenarios(runs: list[tuple[str, pd.DataFrame]], path: Path) -> None:
    """Several scenarios' rates and gaps overlaid, with the official points; the format follows ``path``'s suffix."""
    official = official_points()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7.5), sharex=True,
                                      gridspec_kw={"height_ratios": [2, 1]})
    for i, (name, ts) in enumerate(runs):
        style = SCENARIO_STYLES[i % len(SCENARIO_STYLES)]
        for col, color, label in (("resident_urbanization_pct", RESIDENT_COLOR, "resident"),
                                  ("hukou_urbanization_pct", HUKOU_COLOR, "hukou")):
            _band(top, ts, col, color)
            top.plot(ts["year"], ts[col], style, color=color, lw=2, label=f"{name}: {label}")
        _band(bottom, ts, "gap_pp", GAP_COLOR)
        bottom.plot(ts["year"], ts["gap_pp"], style, color=GAP_COLOR, lw=2, label=f"{name}: gap")
        last = ts.iloc[-1]
        for ax, col, color, unit in ((top, "resident_urbanization_pct", RESIDENT_COLOR, " %"),
                                     (top, "hukou_urbanization_pct", HUKOU_COLOR, " %"),
                                     (bottom, "gap_pp", GAP_COLOR, " pp")):
            ends = sorted(r.iloc[-1][col] for _, r in runs)
            offset = (ends.index(last[col]) - (len(runs) - 1) / 2) * 10  # end labels apart, in value order
            ax.annotate(f"{name}: {last[col]:.1f}{unit}", (last["year"], last[col]), xytext=(6, offset),
                        textcoords="offset points", va="center", color=color, fontsize=7)
    top.plot(official["year"], official["resident"], "o", color=RESIDENT_COLOR, mfc="white",
             label="resident, official (NBS revised)")
    top.plot(official["year"], official["hukou"], "s", color=HUKOU_COLOR, mfc="white",
             label="hukou, official")
    bottom.plot(official["year"], official["gap"], "D", color=GAP_COLOR, mfc="white", label="gap, official")
    top.set_ylabel("share of total population (%)")
    top.set_title("Resident and hukou urbanization: " + " vs ".join(name for name, _ in runs))
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)  # beside, off the data
    top.grid(alpha=0.3)
    bottom.set_ylabel("resident - hukou\n(percentage points)")
    bottom.set_xlabel("year (end of year); dark bands: p10-p90 over replications; light: with the model's "
                      "hindcast error (backtest)")
    bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    bottom.grid(alpha=0.3)
    gaps = [official["gap"]] + [ts[c] for _, ts in runs for c in _gap_columns(ts)]
    bottom.set_ylim(min(g.min() for g in gaps) - 0.5, max(g.max() for g in gaps) + 0.5)
    end = max(int(ts["year"].max()) for _, ts in runs)
    years = list(range(min(OFFICIAL_YEARS), end + 1))
    bottom.set_xticks(years if len(years) <= 8 else years[::2] if len(years) <= 16 else years[::5])
    longest = max(len(name) for name, _ in runs) + 10  # "name: 19.1 pp"
    bottom.set_xlim(min(OFFICIAL_YEARS) - 0.5, end + 0.3 + longest * len(years) / 66)  # end labels inside the axes
    fig.tight_layout()
    save_figure(fig, path)


LINESTYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _style(i: int) -> dict:
    """A line style distinguishable without colour: linestyle and marker cycle at different periods."""
    return {"linestyle": LINESTYLES[i % len(LINESTYLES)], "marker": MARKERS[i % len(MARKERS)], "markersize": 4}


def save_figure(fig, path: Path, dpi: int = 120) -> None:
    """Save in the format the file name asks for (png, pdf, svg); a temporary name keeps its suffix."""
    fig.savefig(path, dpi=dpi, format=Path(path).suffix.lstrip(".").lower() or "png", bbox_inches="tight")
    plt.close(fig)


def plot_comparison(table: pd.DataFrame, differences: pd.DataFrame, year: int, path: Path) -> None:
    """Left: each rate per scenario (median, p10-p90 band); right: paired differences from the base, 90 % intervals."""
    official = official_points()
    panels = (("resident_urbanization_pct", "resident urbanization (%)", "resident"),
              ("hukou_urbanization_pct", "hukou urbanization (%)", "hukou"),
              ("gap_pp", "gap, resident - hukou (pp)", "gap"))
    names = list(dict.fromkeys(table["scenario"]))
    colors = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
    fig, axes = plt.subplots(3, 2, figsize=(12, 10), sharex=True)
    for row, (col, label, off) in enumerate(panels):
        ax, dax = axes[row]
        for i, name in enumerate(names):
            ts = table[table["scenario"] == name]
            color = colors(i % colors.N)
            ax.fill_between(ts["year"], ts[f"{col}_p10"], ts[f"{col}_p90"], color=color, alpha=0.15, lw=0)
            ax.plot(ts["year"], ts[col], color=color, lw=1.6, label=name, **_style(i))
            if i == 0:
                dax.axhline(0, color=color, lw=1.6, linestyle=LINESTYLES[0], label=f"{name} (base)")
                continue
            d = differences[(differences["scenario"] == name) & (differences["quantity"] == col)]
            if d["lo90"].notna().any():
                dax.fill_between(d["year"], d["lo90"], d["hi90"], color=color, alpha=0.2, lw=0)
            dax.plot(d["year"], d["mean"], color=color, lw=1.6, label=name, **_style(i))
        ax.plot(official["year"], official[off], "o", color="black", mfc="white", ms=5, label="official")
        ax.set_ylabel(label)
        dax.set_ylabel(f"{label.split(' (')[0]}:\ndifference from base (pp)")
        for a in (ax, dax):
            a.grid(alpha=0.3)
            a.axvline(year, color="#888888", lw=0.8, linestyle=":")
    axes[0, 0].set_title("Levels: median, p10-p90 band over replications")
    axes[0, 1].set_title(f"Paired differences from '{names[0]}' (mean, 90 % interval; common random numbers)",
                         fontsize=9)
    end = int(table["year"].max())
    for a in axes[-1]:
        a.set_xlabel(f"year (end of year); dotted: the reported year {year}")
        a.set_xlim(min(OFFICIAL_YEARS) - 0.5, end + 0.5)
        a.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    fig.tight_layout(rect=(0, 0.03 + 0.025 * ((len(labels) + 3) // 4), 1, 1))
    save_figure(fig, path)


def plot_attribution(table: pd.DataFrame, year: int, method: str, path: Path) -> None:
    """Bars: leave-one-out and Shapley effect of each measure on the gap, with 90 % intervals."""
    table = table.sort_values("shapley")
    y = range(len(table))
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(table) + 1.8))
    height = 0.38
    for offset, col, color, label in ((-height / 2, "shapley", "#1f77b4", f"Shapley value ({method})"),
                                      (height / 2, "leave_one_out", "#ff7f0e", "leave-one-out")):
        values = table[col].to_numpy()
        err = np.vstack([values - table[f"{col}_lo90"].to_numpy(), table[f"{col}_hi90"].to_numpy() - values])
        ax.barh([i + offset for i in y], values, height=height, color=color, label=label,
                xerr=np.nan_to_num(err), error_kw={"lw": 0.8, "capsize": 2})
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(list(y))
    ax.set_yticklabels([f"{m} (art. {article_number(a)})" if a != "scenario" else f"{m} (scenario)"
                        for m, a in zip(table["measure"], table["article"])], fontsize=8)
    ax.set_xlabel(f"effect on the {year} gap, pp (negative narrows it); error bars: 90 % intervals")
    ax.set_title("What each measure of the plan does to the resident-hukou gap")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120, format="png")
    plt.close(fig)


FIT_LABELS = {
    "resident_urbanization_pct": ("resident urbanization", "%"),
    "hukou_urbanization_pct": ("hukou urbanization", "%"),
    "migrant_workers_total": ("migrant workers, total", "million"),
    "migrant_workers_outside_township": ("migrant workers outside their township", "million"),
    "migrants_in_cities": ("migrant workers living in towns", "million"),
    "mean_migrant_wage": ("migrant monthly income, 2015 = 100", "index"),
}


def plot_fit(fit: pd.DataFrame, band: list[pd.DataFrame], path: Path) -> None:
    """Simulated (best fit, and accepted vectors) against observed, 2015-2020, every target."""
    targets = list(dict.fromkeys(fit["target"]))
    fig, axes = plt.subplots(3, 2, figsize=(10, 10))
    for ax, target in zip(axes.ravel(), targets):
        label, unit = FIT_LABELS.get(target, (target, ""))
        scale = 1e6 if unit == "million" else 1.0
        rows = fit[fit["target"] == target]
        if unit == "index":  # compare growth since the first year, not levels
            first = rows.iloc[0]
            sim_scale, obs_scale = first["simulated"] / 100.0, first["observed"] / 100.0
        else:
            sim_scale = obs_scale = scale
        for ts in band:
            base = ts[target].iloc[0] / 100.0 if unit == "index" else scale
            ax.plot(ts["year"], ts[target] / base, color="#1f77b4", alpha=0.15, lw=1)
        ax.plot(rows["year"], rows["simulated"] / sim_scale, color="#1f77b4", lw=2, label="simulated, best fit")
        ax.plot(rows["year"], rows["observed"] / obs_scale, "o", color="black", mfc="white", label="official")
        ax.set_title(label, fontsize=10)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8, frameon=False)
    fig.suptitle("Calibration 2015-2020: best fit (line), accepted parameter vectors (thin lines), official (circles)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def plot_sensitivity(indices: pd.DataFrame, path: Path) -> None:
    """Morris mu* of each parameter for the three 2025 rates, with 95 % intervals."""
    outputs = list(dict.fromkeys(indices["output"]))
    order = (indices[indices["output"] == "gap_pp"].sort_values("mu_star")["parameter"].tolist()
             if "gap_pp" in outputs else sorted(set(indices["parameter"])))
    fig, axes = plt.subplots(1, len(outputs), figsize=(4 * len(outputs) + 2, 0.32 * len(order) + 2), sharey=True)
    for ax, output in zip(np.atleast_1d(axes), outputs):
        table = indices[indices["output"] == output].set_index("parameter").loc[order]
        ax.barh(range(len(order)), table["mu_star"], xerr=table["mu_star_conf"], color="#1f77b4",
                error_kw={"lw": 0.8, "capsize": 2})
        ax.set_title(f"{output}, 2025", fontsize=10)
        ax.set_xlabel("mu* (points per full range)")
        ax.grid(axis="x", alpha=0.3)
    np.atleast_1d(axes)[0].set_yticks(range(len(order)))
    np.atleast_1d(axes)[0].set_yticklabels(order, fontsize=8)
    fig.suptitle("Morris sensitivity of the 2025 rates to the behavioural parameters", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


BACKTEST_COLORS = {"drift": "#ff7f0e", "linear": "#2ca02c", "logistic": "#9467bd", "damped": "#8c564b"}


def plot_backtest(bands: pd.DataFrame, benchmarks: pd.DataFrame, path: Path) -> None:
    """Per origin (rows) and rate (columns): observed, the model's forecast with its band, the naive forecasts."""
    from sim.targets import observed

    origins = list(dict.fromkeys(bands["origin"]))
    series = ["resident_urbanization_pct", "hukou_urbanization_pct"]
    obs = observed(2010, 2020)
    fig, axes = plt.subplots(len(origins), 2, figsize=(11, 3.2 * len(origins)), squeeze=False)
    for i, origin in enumerate(origins):
        for j, name in enumerate(series):
            ax = axes[i, j]
            o = obs[obs["target"] == name]
            ax.plot(o["year"], o["observed"], "o", color="black", mfc="white", ms=5, label="official", zorder=3)
            m = bands[(bands["origin"] == origin) & (bands["series"] == name)]
            if len(m):
                ax.fill_between(m["year"], m["band_p10"], m["band_p90"], color="#1f77b4", alpha=0.2,
                                label="model p10-p90 (with discrepancy)")
                ax.plot(m["year"], m["median"], color="#1f77b4", lw=2, label="model median")
            for method, color in BACKTEST_COLORS.items():
                b = benchmarks[(benchmarks["origin"] == origin) & (benchmarks["series"] == name)
                               & (benchmarks["method"] == method)]
                if len(b) and b["forecast"].notna().any():
                    ax.plot(b["year"], b["forecast"], "--", color=color, lw=1, label=method)
            ax.set_title(f"{origin}: {FIT_LABELS.get(name, (name, ''))[0]}", fontsize=9)
            ax.set_ylabel("%")
            ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7, frameon=False, loc="upper left")
    fig.suptitle("Backtest: forecasts after each fitted window against what was observed", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)

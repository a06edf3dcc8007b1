"""What SciNet's latent layer learned, on held-out (test-split) observations.

Pendulum: which latent neurons are active (mean KL), their one-to-one assignment to the
spring constant and the damping factor by |Spearman|, and a symbolic formula of each assigned
neuron as a function of its parameter. Heliocentric: which latent pairs are active, their
assignment to the heliocentric angles of Earth and Mars by the R^2 of a linear fit of the
pair's direction -- the angle the decoder reads, continuous across +-pi -- on (cos, sin) of
the true angle, and each assigned pair's learned time update read as an angular increment
(its eigenvalue angle, signed by the fit's orientation), compared with the true increments
2 pi step / T. The same fit of the pairs' unnormalised posterior means is recorded beside it
(their length is not part of the state the decoder reads). Both: the answers' error against
the exact solution.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
import xarray as xr

from physlens import symbolic
from physlens.io import to_netcdf_atomic, write_json
from physlens.modelfiles import load_model
from physlens.models.scinet import pair_directions
from physlens.provenance import base_attrs
from physlens.scinet.latents import (
    abs_spearman_matrix,
    angle_fit,
    angle_r2_matrix,
    assignment_check,
    kl_per_neuron,
    rotation_increment,
    unit_kl,
)
from physlens.scinet.pipeline import load_data, stage_seed
from physlens.scinet.systems import (
    PENDULUM_PARAMETERS,
    PLANETS,
    SPLITS,
    true_increments,
    wrap_angle,
)

log = logging.getLogger(__name__)


def held_out(ds: xr.Dataset, max_points: int) -> np.ndarray:
    """Indices of the test samples, at most `max_points` (the first ones: the split is random)."""
    return np.flatnonzero(ds["split"].values == SPLITS["test"])[:max_points]


@torch.no_grad()
def posterior(model, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu, logvar = model.eval().posterior(torch.as_tensor(obs, dtype=torch.float32))
    return mu.double().numpy(), logvar.double().numpy()


# --- pendulum ---------------------------------------------------------------------------------


@torch.no_grad()
def pendulum_answers(model, ds: xr.Dataset, idx: np.ndarray) -> dict:
    """RMS error of the answers x(t') against the exact solution, over every test question."""
    obs, q = ds["observation"].values[idx], ds["question"].values[idx]
    mu, _ = posterior(model, obs)
    z = torch.as_tensor(np.repeat(mu, q.shape[1], axis=0), dtype=torch.float32)
    pred = model.answer(z, torch.as_tensor(q.reshape(-1, 1), dtype=torch.float32)).double().numpy()
    exact = ds["answer"].values[idx].reshape(-1)
    return {
        "rms_error": float(np.sqrt(np.mean((pred - exact) ** 2))),
        "rms_answer": float(np.sqrt(np.mean(exact**2))),
        "n_answers": int(len(exact)),
    }


def symbolic_fits(
    params: np.ndarray, mu: np.ndarray, check: dict, icfg: dict, seed: int
) -> list[dict]:
    """Formula of each assigned neuron as a function of its one parameter (physlens.symbolic)."""
    if not check["assignment"]:
        return []
    budget = dict(icfg["symbolic"])
    engine = budget.pop("engine")
    n = min(len(mu), icfg["symbolic_points"])
    fits = []
    for j, u in enumerate(check["assignment"]):
        name = PENDULUM_PARAMETERS[j]
        res = symbolic.fit_formula(
            params[:n, j : j + 1],
            mu[:n, u],
            [name],
            engine=engine,
            seed=stage_seed(seed, "pendulum", "symbolic", j),
            **budget,
        )
        pred = res.predict(params[:, j : j + 1])
        ss = np.sum((mu[:, u] - mu[:, u].mean()) ** 2)
        fits.append(
            {
                "parameter": name,
                "unit": int(u),
                "engine": res.engine,
                "expression": res.expression,
                "r2": float(1 - np.sum((mu[:, u] - pred) ** 2) / ss) if ss > 0 else float("nan"),
                "symbolic": res.to_dict(),
            }
        )
    return fits


def interpret_pendulum(model, ds: xr.Dataset, icfg: dict, seed: int) -> tuple[dict, xr.Dataset]:
    idx = held_out(ds, icfg["max_points"])
    mu, logvar = posterior(model, ds["observation"].values[idx])
    kl = kl_per_neuron(mu, logvar)
    params = np.column_stack([ds[p].values[idx] for p in PENDULUM_PARAMETERS])
    score = abs_spearman_matrix(mu, params)
    check = assignment_check(score, unit_kl(kl), icfg["kl_threshold"], icfg["min_spearman"])
    report = {
        "system": "pendulum",
        "parameters": list(PENDULUM_PARAMETERS),
        "score": "|Spearman| of latent mean with parameter",
        "score_matrix": score.tolist(),
        **check,
        "symbolic": symbolic_fits(params, mu, check, icfg, seed),
        "answers": pendulum_answers(model, ds, idx),
    }
    latents = xr.Dataset(
        {
            "mu": (("sample", "unit"), mu),
            "logvar": (("sample", "unit"), logvar),
            "kl": (("sample", "unit"), kl, {"units": "nats"}),
            **{p: ("sample", params[:, j]) for j, p in enumerate(PENDULUM_PARAMETERS)},
        },
        coords={"unit": np.arange(mu.shape[1])},
        attrs=base_attrs(
            seed, system="pendulum", algorithm="SciNet posterior on test observations"
        ),
    )
    return report, latents


# --- heliocentric -------------------------------------------------------------------------------


@torch.no_grad()
def heliocentric_answers(model, ds: xr.Dataset, idx: np.ndarray) -> dict:
    """RMS angle error (rad) of the predicted Sun and Mars directions over every step."""
    series = torch.as_tensor(ds["observation"].values[idx], dtype=torch.float32)
    mu, _ = model.eval().posterior(series[:, 0])
    pred = model.decode(model.evolve(mu, series.shape[1])).double().numpy()
    out = {}
    for k, body in enumerate(("sun", "mars")):
        angle = np.arctan2(pred[..., 2 * k + 1], pred[..., 2 * k])
        err = wrap_angle(angle - ds[f"theta_{body}"].values[idx])
        out[f"rms_error_{body}"] = float(np.sqrt(np.mean(err**2)))
        out[f"rms_error_{body}_last_step"] = float(np.sqrt(np.mean(err[:, -1] ** 2)))
    out["n_steps"] = int(series.shape[1])
    return out


def increments(model, pairs: np.ndarray, angles: np.ndarray, check: dict, truth: dict) -> dict:
    """Each assigned pair's learned update as an angular increment per step, in the planet's
    sense of rotation (its eigenvalue angle times the orientation of the pair's angle fit)."""
    if not check["assignment"]:
        return {
            "per_planet": [],
            "ratio": float("nan"),
            "true_ratio": truth["earth"] / truth["mars"],
        }
    update = model.update.detach().double().numpy()
    rows = []
    for j, u in enumerate(check["assignment"]):
        rot = rotation_increment(update[u])
        fit = angle_fit(pairs[:, u], angles[:, j])
        learned = fit["orientation"] * rot["angle"]
        rows.append(
            {
                "planet": PLANETS[j],
                "unit": int(u),
                "update_matrix": update[u].tolist(),
                **rot,
                "orientation": fit["orientation"],
                "increment": learned,
                "true_increment": truth[PLANETS[j]],
                "relative_error": learned / truth[PLANETS[j]] - 1.0,
            }
        )
    ratio = rows[0]["increment"] / rows[1]["increment"] if rows[1]["increment"] else float("nan")
    return {"per_planet": rows, "ratio": float(ratio), "true_ratio": truth["earth"] / truth["mars"]}


def interpret_heliocentric(model, ds: xr.Dataset, icfg: dict, seed: int) -> tuple[dict, xr.Dataset]:
    idx = held_out(ds, icfg["max_points"])
    mu, logvar = posterior(model, ds["observation"].values[idx, 0])
    kl = kl_per_neuron(mu, logvar)
    pairs = mu.reshape(len(mu), -1, 2)
    # the decoder reads each pair as its direction: that angle is the latent's content
    directions = pair_directions(torch.as_tensor(mu)).numpy().reshape(pairs.shape)
    angles = np.column_stack([ds[f"phi_{p}"].values[idx, 0] for p in PLANETS])
    score = angle_r2_matrix(directions, angles)
    check = assignment_check(score, unit_kl(kl, 2), icfg["kl_threshold"], icfg["min_r2"])
    report = {
        "system": "heliocentric",
        "parameters": [f"phi_{p}" for p in PLANETS],
        "score": "R^2 of the latent pair's direction fitted linearly on (cos, sin) of the angle",
        "score_matrix": score.tolist(),
        "score_matrix_means": angle_r2_matrix(pairs, angles).tolist(),
        **check,
        "time_update": increments(model, directions, angles, check, true_increments(ds.attrs)),
        "answers": heliocentric_answers(model, ds, idx),
    }
    latents = xr.Dataset(
        {
            "mu": (("sample", "unit", "component"), pairs),
            "kl": (("sample", "unit"), kl.reshape(len(kl), -1, 2).sum(-1), {"units": "nats"}),
            "latent_angle": (
                ("sample", "unit"),
                np.arctan2(directions[..., 1], directions[..., 0]),
                {"units": "rad"},
            ),
            **{
                f"phi_{p}": ("sample", angles[:, j], {"units": "rad"})
                for j, p in enumerate(PLANETS)
            },
        },
        coords={"unit": np.arange(pairs.shape[1]), "component": ["c", "s"]},
        attrs=base_attrs(
            seed,
            system="heliocentric",
            algorithm="SciNet posterior of the first observation, test series",
        ),
    )
    return report, latents


INTERPRETERS = {"pendulum": interpret_pendulum, "heliocentric": interpret_heliocentric}


def interpret_scinet(
    data_path, model_path, meta_path, system: str, icfg: dict, seed: int, out: dict
) -> dict:
    """Interpret one trained SciNet; write the report (JSON), the latents (HDF5) and headlines."""
    from physlens.scinet.headlines import system_headlines
    from physlens.summary import write_headlines

    model, meta = load_model(model_path, meta_path, data_path=data_path)
    ds = load_data(data_path, system)
    report, latents = INTERPRETERS[system](model, ds, icfg, seed)
    report["metrics"] = meta["metrics"]
    report["criteria"] = {
        k: icfg[k] for k in ("kl_threshold", "min_spearman", "min_r2", "ratio_tolerance")
    }
    write_json(out["report"], report)
    to_netcdf_atomic(latents, out["latents"])
    write_headlines(out["headline"], system_headlines(report, seed), seed=seed)
    log.info(
        "%s: active %s, assignment %s, scores %s",
        system,
        report["active"],
        report["assignment"],
        report["assigned_scores"],
    )
    return report

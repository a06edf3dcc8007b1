"""Names and files of the supervised stage's trained Ising models (pure Python: the Snakefile
imports this while building the DAG, so nothing heavy may be imported here).

Every interpretation-type stage (interpret, representations, concepts) finds a model by its
name here: ``probe_<ky>x<kx>`` (a correlation-probing net) or ``classifier_member<k>`` (a
member of the phase-classifier ensemble).
"""

from __future__ import annotations


def probe_names(probes: dict) -> list[str]:
    """The correlation-probing nets of the `supervised.probes` block: '<ky>x<kx>' per
    receptive field, then the constant-output baseline."""
    return [f"{ky}x{kx}" for ky, kx in probes["receptive_fields"]] + ["constant"]


def model_dirs(sup: dict, results: str = "results") -> dict[str, str]:
    """Directory (model.pt, model.json) of every model the supervised stage trains."""
    return {
        **{
            f"probe_{ky}x{kx}": f"{results}/supervised/probes/{ky}x{kx}"
            for ky, kx in sup["probes"]["receptive_fields"]
        },
        **{
            f"classifier_member{k}": f"{results}/supervised/classifier/member{k}"
            for k in range(sup["classifier"]["members"])
        },
    }


def model_data(sup: dict, results: str = "results") -> dict[str, str]:
    """The Ising data file each model was trained on."""
    return {
        m: f"{results}/ising/L{sup['probes' if m.startswith('probe_') else 'classifier']['L']}.h5"
        for m in model_dirs(sup, results)
    }

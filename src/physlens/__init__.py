"""physlens: what neural networks learn about physics, answered in physical terms."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("physlens")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

from physlens._lazy import lazy_exports

# The public API, imported on first use (see docs/library.md).
_EXPORTS = {
    "load_config": "physlens.config",
    "validate_config": "physlens.config",
    "ConfigError": "physlens.config",
    "DataFileError": "physlens.io",
    "headline": "physlens.summary",
    "mean_and_error": "physlens.stats",
    "TwinRegressor": "physlens.siamese.regressor",
    "parse_formula": "physlens.formula",
    "sample_ising": "physlens.ising.api",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

"""physlens: what neural networks learn about physics, answered in physical terms."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("physlens")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

"""cloudlet: a serverless AWS cloud on one machine."""

__version__ = "0.1.0"
__all__ = ["__version__"]

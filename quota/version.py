"""The package's version: a leaf, so that modules deep in the library can name it without
importing the package's public face (which reaches everything)."""

__version__ = "0.1.0"

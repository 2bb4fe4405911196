"""thinfile: credit for people whom credit bureaus barely see.

Score applicants from alternative data, decide and price in milliseconds under the legal
caps, service loans to the fen on a double-entry ledger, and serve borrowers online.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

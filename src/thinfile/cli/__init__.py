"""The ``thinfile`` command."""

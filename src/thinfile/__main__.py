"""``python -m thinfile``: the ``thinfile`` command."""

from thinfile.cli.app import main

main()

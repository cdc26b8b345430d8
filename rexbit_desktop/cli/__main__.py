"""``python -m rexbit_desktop.cli``: the same as the ``rexbit`` command."""

from rexbit_desktop.cli.main import main

main()

"""``rexbit-desktop`` (``python -m rexbit_desktop.desktop``): wire the application, then open the window."""

from __future__ import annotations

import sys

from rexbit_desktop.bootstrap import bootstrap


def main(argv: list[str] | None = None) -> int:
    bootstrap()
    from rexbit_desktop.ui.app import main as ui_main

    return ui_main(argv)


if __name__ == "__main__":
    sys.exit(main())

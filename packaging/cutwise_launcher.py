"""Entry point of the desktop bundle: one binary, two commands.

``cutwise-gui`` opens the editor window; the same binary called through the ``cutwise``
link in the bundle folder is the command line.
"""

import sys
from pathlib import Path


def main() -> int:
    if Path(sys.argv[0]).name in ("cutwise", "cutwise.exe"):
        from editor.cli import main as cli_main

        return cli_main()
    from editor.ui.app import main as gui_main

    return gui_main()


if __name__ == "__main__":
    sys.exit(main())

"""``python -m editor`` runs the ``cutwise`` command."""

from editor.cli import main

raise SystemExit(main())

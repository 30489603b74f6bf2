"""``cutwise models``: list, download or add the Segment Anything checkpoints."""

from __future__ import annotations

import sys

from editor.cli import EXIT_OK, ProgressBar, UsageError, print_json


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "models", parents=[common], help="list, download or add SAM checkpoints",
        description="Manage the Segment Anything checkpoints used by 'cutwise matte' and the "
                    "matting panel. They live in the user data dir ($CUTWISE_DATA_DIR/models "
                    "when set) and are verified against the official SHA-256 sums.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", parents=[common], help="the known models and which are installed")
    download = actions.add_parser("download", parents=[common],
                                  help="download a checkpoint (resumes a partial download)")
    download.add_argument("name", help="vit_b, vit_l or vit_h")
    add = actions.add_parser("add", parents=[common], help="use a checkpoint file you already have")
    add.add_argument("name", help="vit_b, vit_l or vit_h")
    add.add_argument("path", help="the .pth file")
    add.add_argument("--link", action="store_true", help="link to the file instead of copying it")
    parser.set_defaults(handler=run)


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def run(args) -> int:
    from editor.analysis.matting.models import ModelManager

    manager = ModelManager()
    action = args.action or "list"
    if action == "list":
        rows = manager.listing()
        if args.json:
            print_json({"folder": str(manager.root), "models": rows})
        else:
            print(f"models folder: {manager.root}")
            for row in rows:
                state = "installed" if row["installed"] else (
                    f"partial ({_size(row['partial_bytes'])})" if row["partial_bytes"] else "-")
                print(f"  {row['name']:6s} {_size(row['size']):>8s}  {state:12s} {row['description']}")
            if not any(r["installed"] for r in rows):
                print("none installed: matting uses the GrabCut fallback (lower quality)")
        return EXIT_OK
    if args.name not in manager.specs:
        raise UsageError(f"unknown model '{args.name}' (known: {', '.join(manager.specs)})")
    with ProgressBar(args, action) as progress:
        if action == "download":
            path = manager.download(args.name, progress=progress)
        else:
            path = manager.add(args.name, args.path, link=args.link, progress=progress)
    if args.json:
        print_json({"name": args.name, "path": str(path), "verified": True})
    elif not args.quiet:
        print(f"{args.name}: {path} (SHA-256 verified)", file=sys.stderr)
    return EXIT_OK

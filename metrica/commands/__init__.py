"""The command line: argparse glue only; nothing imports this package."""

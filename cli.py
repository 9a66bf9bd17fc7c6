"""Run luna-db from a checkout without installing it: `python cli.py --help`."""

from luna_db_tools.cli import main

if __name__ == "__main__":
    main()

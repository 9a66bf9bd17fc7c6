"""`python -m luna_db_tools` runs the luna-db CLI."""

from .cli import main

main(prog_name="luna-db")

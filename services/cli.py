"""Moved: the operators' command line is now `python -m ops.cli` (ops/ may load the demo seed; services/
may not). This stub only says so, for scripts and cron lines written before the move."""

import sys

if __name__ == "__main__":
    sys.exit("La ligne de commande d'exploitation a changé : python -m ops.cli … (python -m ops.cli --help).")

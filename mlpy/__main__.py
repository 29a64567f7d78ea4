"""``python -m mlpy``: the command line."""

from mlpy.cli.main import main

if __name__ == "__main__":
    main()

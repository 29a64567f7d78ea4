"""One module per ``mlpy`` command (or group of subcommands); mlpy/cli/main.py loads each
on first use, so that ``mlpy --version`` imports none of them."""

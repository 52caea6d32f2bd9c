"""`python engine.py ...` is `engine ...`: the command line without installing the package."""

from outbound.cli import main

if __name__ == "__main__":
    main()

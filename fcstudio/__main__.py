"""``python -m fcstudio`` from the repository root, without installing the package."""

from fcstudio.cli import main

main()

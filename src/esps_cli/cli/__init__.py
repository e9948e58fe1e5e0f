"""The `esps` command line (cli/app.py). Imported before the command line's own modules and
Typer, and only by the command line (the library leaves the collector as it finds it)."""

import gc

# Start-up makes a few hundred thousand objects that live as long as the command (modules,
# classes, models, the framework): at the collector's default pace (a pass every 700 new
# objects) it walks them again and again while they are made, about 3% of a one-file
# validate. A pass every 10,000 still frees cyclic garbage soon (a workbook openpyxl made).
gc.set_threshold(10_000, 10, 10)

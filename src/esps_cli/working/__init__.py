"""The working folder's inputs, resolved: the units and advisors lists read from their files
(`lists`), and what `esps validate` is to check, decided in one call from its arguments and
esps.toml (`plan`)."""

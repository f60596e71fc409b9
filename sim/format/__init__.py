"""The file formats: ladders and scenarios read from YAML into frozen dataclasses.

Safe YAML with lines (`yamlio`), the checker that collects every problem (`check`), the
condition language (`expr`, `expr_syntax`), uncertain numbers (`distributions`), ladders,
scenarios and their parts (`clock`, `actors`, `events`), variants (`extends`), `--set`
(`overrides`), `ladder validate` (`validate`), and the vocabulary the loader and the
shipped JSON Schemas share (`vocabulary`, `schema`). Imports no Mesa, SciPy, pandas or
matplotlib, so checking files is fast. The lowest layer: imports only `sim.errors`.
"""

"""The engine: the Mesa model of an ensemble of runs, the runner that steps it in chunks,
and what a run produces (outcomes, the summary, the results folder).

Imports the format layer only.
"""

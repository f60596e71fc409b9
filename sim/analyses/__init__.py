"""Analyses of outcomes: statistics and `ladder compare`, the exact Markov analysis, the
live outlooks of a played run, and the historical replay.

Imports the format and engine layers; not `sim.explore`, its sibling.
"""

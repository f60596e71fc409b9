"""Exploration: `ladder sweep` over designs of uncertain parameters, sensitivity rankings
and the boxes of parameter space where the outcome is high (PRIM).

Imports the format and engine layers; not `sim.analyses`, its sibling.
"""

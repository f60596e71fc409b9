"""The workshop: a run played turn by turn (`ladder play`), its debrief, and the browser
dashboard for the projector (`ladder demo`).

Imports every layer below it; only the CLI imports it.
"""

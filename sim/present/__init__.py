"""Presentation: text tables and stories, ladder drawings (text, Mermaid, DOT, SVG),
figures, sweep tables, and the HTML report. Returns strings, figures or files; prints nothing.

Imports the layers below it (format, engine, analyses, explore).
"""

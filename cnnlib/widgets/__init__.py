"""Interactive explorers for the notebooks, one module per notebook topic.

Each widget's update logic is a plain function (tested without a browser); the
widget only wires controls to it. Pictures are `ipywidgets.Image` and text is
`ipywidgets.HTML`, never an Output widget, so the notebooks' text output stays
deterministic under nbval and the static HTML export keeps what the widget shows.
"""

"""The journey report: one self-contained HTML file a CX lead can open offline and send on.

`data.py` aggregates analysed comments into the report's numbers (with the insights' rules: the defining
moment, the minimum volume, net sentiment); `html.py` writes them into one file with the vendored charting
library (`assets/`, see its README) inlined.
"""

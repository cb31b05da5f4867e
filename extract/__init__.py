"""Extraction: documents in, what they print out (no normalisation).

Entry points: :func:`extract.pdf.read_pages` (pages, characters, triage figures), :func:`extract.grids.read_grids`
(ruled grids with cell text and boxes), :func:`extract.identify.identify_tables` and
:func:`extract.identify.read_facts` (the standard tables and what the document says about itself), and
:func:`extract.harvest.harvest` (downloading documents from release pages). :mod:`extract.models` holds the
types every layer shares.
"""

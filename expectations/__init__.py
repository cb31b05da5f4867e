"""Validation: staged cells in, findings and the load/quarantine decision out.

Entry points: :func:`expectations.validate.validate` (the GX suites of each table type in one checkpoint
run, plus the accounting identities of :mod:`expectations.identities`; severities from ``rules.yaml``),
:func:`expectations.decision.decide` (load, quarantine or skip a document, from its extraction issues
and findings) and :func:`expectations.ocr_corrections.correct_ocr` (OCR readings an identity proves
wrong, replaced by the reading that makes it hold). :mod:`expectations.findings` holds the one
``Finding`` type.
"""

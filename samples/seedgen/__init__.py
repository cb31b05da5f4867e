"""Generators of the seed 决算 report documents (``samples/make_seed_pdf.py``, ``samples/make_office_matrix.py``).

Shared: ``seed`` (the seed text, its tables and the rules for reading their cells) and ``matrix``
(producer-matrix sidecars and checks).  reportlab: ``fonts`` (the embedded CJK subsets), ``style``
(producer variants), ``cells`` (pages and grid cells of a layout), ``layout`` (geometry), ``draw``
(the canvas) and ``pdf`` (the document).  LibreOffice: ``office`` (variants, table grids, font
metrics), ``calc`` (.xlsx), ``writer`` (.docx) and ``libreoffice`` (printing to PDF).  ``budget``: the
seed department's 2020 部门预算 in the Shanghai 预算 table set, the other half of the seed for budget
execution (``tests/data/budget/``).
"""

"""Normalisation (pure: DataFrames and dataclasses in, DataFrames out; no I/O).

Entry point: :func:`transform.stage.stage_document` turns the identified tables of one document into
``stg_cells`` (contract in :mod:`transform.stg_cells`), one row per published amount.
"""

"""Optline: stage, normalize, check and merge SMS contact lists into a DuckDB warehouse.

The library is importable and testable without Airflow; `dags/` only wires it together.
"""

__version__ = "0.1.0"

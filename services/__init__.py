"""Use cases of Parcours: validation, permissions, queries and audit.

Nothing in this package imports streamlit; pages call these functions with a
principal and plain values and get plain values back.
"""

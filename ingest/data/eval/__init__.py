"""The hand-labelled evaluation set (kept apart from the lexicons)."""

"""Lexicons (editable CSV) and the labelled evaluation set; a package so the files ship with it."""

"""Bulletins (通报): figures from stored data, written as Word, Excel and HTML, issued on a schedule."""

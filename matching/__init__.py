"""Matching (Dutch text, lexical and dense retrieval, ranking): built in a later issue."""

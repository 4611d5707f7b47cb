"""The application layer: one use case per action, called alike by the API routes, the pages
and the CLI. No FastAPI here: a use case takes the context (service/context.py) and plain
values, returns domain objects and raises domain errors (service/errors.py maps them).

Modules by area: ``matching`` (ask the matcher), ``members`` (profiles, AVG rights),
``questions`` (a member's own questions and answers), ``brokering`` (the regiebureau's
actions), ``directory`` (organisations, regions, themes, practices, communities),
``nearby`` (members near a place), ``network`` (the map and analytics views), ``exchange``
(import and export files) and ``lifecycle`` (opening and closing a context).
"""

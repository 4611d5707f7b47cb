"""The graph: model, store port and adapters, gazetteer, queries and the exchange format."""

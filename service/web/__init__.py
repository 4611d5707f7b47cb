"""Server-rendered Dutch pages."""

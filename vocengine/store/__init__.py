"""Storage of the service: tables, the database engine and its migrations, the scoring queue, API keys."""

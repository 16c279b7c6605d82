"""Storage of the service: tables, the database engine and its migrations, and everything that reads or writes
them: the scoring queue, the one lease mechanism, the job table, journey map versions, API keys, stored
responses and the mapping of an analysis to its rows."""

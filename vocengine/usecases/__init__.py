"""One function per thing a user can do, called by every entry point: the API's routers, the command line,
and any connector or script. Each validates, redacts, writes and commits the same way whoever calls it;
entry points only translate (HTTP or argv in, a status code or a printed line out).

Each takes the process's `vocengine.runtime.Runtime` first: the database engine, the redactor, the language
detector and the active analyzer it holds are the ones every path shares.
"""

"""The server process: config, app factory, database, Redis, auth, errors, OpenAPI and the command line."""

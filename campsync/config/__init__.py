"""The configuration: campsync.yaml read and checked against its schema (file), merged with
the environment variables and flags into Settings (settings), and an environment's campaign
files with its overrides (environments)."""

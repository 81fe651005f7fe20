"""The CLI layer: one module per command, each with register(subparsers) and run(args).

Only this package (and campsync.cli) prints or chooses exit codes.
"""

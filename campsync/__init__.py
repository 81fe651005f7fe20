"""campsync: Kore.ai outbound campaigns kept in Git, validated, planned and applied."""

__version__ = "0.1.0"

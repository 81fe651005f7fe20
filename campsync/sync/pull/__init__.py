"""pull: platform campaigns -> campaign files (mapping, safe names, YAML text, orchestration)."""

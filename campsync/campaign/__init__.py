"""The campaign files: loading YAML with positions, the JSON Schema, the rules it cannot say,
validation with file:line:column, and the request body a file stands for."""

"""The question bank: the YAML files (one per topic) and the code that reads, checks, imports and counts them."""

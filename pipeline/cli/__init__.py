"""The `station` command: one module per command group; parse → call core → print."""

"""Shared kernel: domain values (档号, ID numbers), errors, configuration, data-root paths, labels, masking."""

"""The archive on disk: item folders and manifests, 档号 numbering, retention rules, the audit chain, verify, encryption at rest."""

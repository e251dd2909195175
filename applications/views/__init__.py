"""Browser pages of applications, one module per concern (apply, my cases, documents, progress, verify)."""

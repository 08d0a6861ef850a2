"""GET /product/exports: lists the catalog exports from the read-only file system mount."""

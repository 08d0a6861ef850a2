"""The product catalog: its service definition and its API contract."""

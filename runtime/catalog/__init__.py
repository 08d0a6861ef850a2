"""The product catalog domain shared by the functions: models, persistence, settings, errors."""

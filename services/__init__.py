"""Service definitions: each service the generator builds, one package per service."""

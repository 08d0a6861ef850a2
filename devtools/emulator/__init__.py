"""Local AWS emulation for `make deploy-local`: moto in server mode plus the adapter it needs."""

"""Scheduled catalog export onto the shared file system."""

"""Import worker: writes the items of bulk imports from the import queue."""

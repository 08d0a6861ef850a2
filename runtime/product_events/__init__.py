"""Product change events: publishes what the product table's stream says happened."""

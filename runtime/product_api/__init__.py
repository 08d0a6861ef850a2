"""Product catalog API: the Lambda runtime behind /product."""

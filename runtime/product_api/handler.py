def lambda_handler(event, context):\n    raise NotImplementedError

"""What the project reports about its models: the tables of its measured results (:mod:`.tables`)."""

"""What the project reports about its models: the tables of its measured results (:mod:`.tables`) and
the description of the models that the architecture page draws (:mod:`.architecture`)."""

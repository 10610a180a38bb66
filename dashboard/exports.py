def register(server):
    pass

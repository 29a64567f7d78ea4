"""A pricing microservice: ML rules behind REST (FastAPI) and gRPC, on one AsyncEngine."""

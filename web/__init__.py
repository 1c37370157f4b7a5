"""The analysts' review desk: server-rendered pages over the same store and stage
functions as the command line. Nothing imports this package but pipeline.py."""

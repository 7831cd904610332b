"""Reads for the admin console, one module per page: each returns plain values in a fixed number of
queries, whatever the number of people."""

"""The SQL store: schema, migrations, sessions and data functions.

Data functions take a Session and never commit; the caller owns the transaction.
"""

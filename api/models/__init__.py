"""Every representation the API accepts or returns, as one pydantic model each.

The logic builds these, the routes serialize them, and the OpenAPI document is generated from them, so
the three cannot drift apart. Field names are snake_case in Python and camelCase on the wire.
"""
